"""OTP-style supervision for pykka actors, the daemon's declared tree and its entry points."""
