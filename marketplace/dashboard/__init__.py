"""Each role's home after sign-in: the next actions of the user's organisation."""
