"""Pure tests of the schedule core: parsing, wall-clock maths, planning, warnings."""
