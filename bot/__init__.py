"""The gateway and content store of the route assistant.

The gateway owns channels and people; Rasa (a separate server) owns meaning; the content store
owns every word a person reads. See README.md for the picture.
"""
