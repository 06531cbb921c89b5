"""Collection rules shared by the tests and the package's doctests."""

import importlib.util

# skreg.onnx imports the optional onnx extra: without it, its doctests
# cannot even be collected (tests/test_onnx.py skips itself).
collect_ignore = [] if importlib.util.find_spec("skl2onnx") else ["skreg/onnx.py"]
# skreg.inspection draws with the optional matplotlib: its doctests need it
# (tests/test_inspection.py skips itself).
if not importlib.util.find_spec("matplotlib"):
    collect_ignore.append("skreg/inspection")
