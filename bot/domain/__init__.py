"""Pure rules: no clock, no network, no environment. Every function takes what it needs."""
