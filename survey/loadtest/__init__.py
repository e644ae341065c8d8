"""The deadline-rush load test: its Locust client and the oracle that judges a run."""
