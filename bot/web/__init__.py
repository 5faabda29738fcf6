"""The gateway's ASGI app: health, Rasa's NLG endpoint, the web chat."""
