"""A stand-in child for tests/relay/runtime/test_child_env.py: reads its config line, prints its environment."""

import json
import os
import sys

sys.stdin.readline()
print(json.dumps(dict(os.environ)), flush=True)
