"""Chat handlers (Telegram, Zalo, console): turn updates into service calls."""
