"""The content store: topics, their per-country items and per-language variants, and the
little the assistant remembers about a conversation (language, country) under a pseudonym."""
