"""Widgets holding layout and painting only; controllers fill them and react to them."""
