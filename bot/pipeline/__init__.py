"""The channel-neutral pipeline: one message in, one answer out, whatever the channel.

| module | holds |
| --- | --- |
| `pipeline.py` | the order of things: identity, consent, language, place, safety, Rasa; |
| | reads the conversation once and writes it once |
| `text.py` | what a message is: a button's payload or prose, folded for the model |
| `consent.py` | STOP/START words in every language |
| `language.py` | when a conversation's language changes |
| `rasa.py` | the Rasa REST client and what Rasa's answer asks of the gateway |
"""
