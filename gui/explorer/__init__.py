"""The Activation Explorer tab: curves f(x) and f'(x), their parameters and properties."""
