"""Small NLU components that Rasa imports (it runs them in .venv-rasa, Python 3.10).

They depend on nothing of ours, only on Rasa and the standard library (README, "Two environments").
"""
