"""pytest plugin loaded first (see setup.cfg addopts): gevent patching before any other import."""
from gevent import monkey

monkey.patch_all()
