"""Payments: the gateway adapter (with its sandbox), card charges, bank transfers."""
