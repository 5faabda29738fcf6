"""One module per channel: inbound payload -> plain message, reply -> that channel's form."""
