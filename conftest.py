"""Collection rules shared by the tests and the package's doctests."""

import importlib.util

# skreg.onnx imports the optional onnx extra: without it, its doctests
# cannot even be collected (tests/test_onnx.py skips itself).
collect_ignore = [] if importlib.util.find_spec("skl2onnx") else ["skreg/onnx.py"]
