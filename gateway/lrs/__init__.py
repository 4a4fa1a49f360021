"""The xAPI Learning Record Store (xAPI 1.0.3 and IEEE 9274.1.1 / xAPI 2.0)."""
