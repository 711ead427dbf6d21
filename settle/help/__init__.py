"""Help + support: recommended-steps articles per language, the matcher that finds the one for a
problem described in the user's own words, and support requests (DESIGN §8)."""
