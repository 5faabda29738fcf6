"""Rasa custom actions (run by rasa-sdk's action server in .venv): the few steps that change
what the assistant remembers. They send no words of their own: they name a response, and the
NLG endpoint finds the words."""
