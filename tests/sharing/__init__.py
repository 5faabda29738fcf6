"""Sharing the assistant (issue 18): campaigns, their links, QR codes and card, arrivals."""
