"""Supply-chain dependency survey: questionnaires about contractors' reliance on an AI vendor."""
