"""dondoc: follows up Vietnamese government plans with the agencies that own them."""

__version__ = "0.1.0"
