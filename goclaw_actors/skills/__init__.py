"""Skills (SPEC §8.1–8.2, §8.5): SKILL.md documents, the catalog of skill roots, eligibility, matching,
instructions and installs. Plain logic: no actor is imported here."""
