"""Operation agencies and the organisations that accepted them (see ``models``)."""
