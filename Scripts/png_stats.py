"""Prints JSON facts of a PNG screenshot: size, share of non-white pixels, distinct colours.

Used by the browser test to tell a rendered report from a blank page.
"""
import json
import sys

from PIL import Image

image = Image.open(sys.argv[1]).convert("RGB")
pixels = list(image.getdata())
non_white = sum(1 for p in pixels if min(p) < 235)
print(json.dumps({"width": image.width, "height": image.height,
                  "nonWhiteFraction": non_white / len(pixels),
                  "colours": len(set(pixels))}))
