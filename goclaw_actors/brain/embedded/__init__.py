"""The embedded llama.cpp model (SPEC §4.4): its files, the in-process engine and its Provider."""
