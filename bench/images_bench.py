#!/usr/bin/env python
"""Picture benchmark (a tool, not a test): what one phone photo costs to accept.

    .venv/bin/python bench/images_bench.py [--runs 5] [--quality 92]

Makes a typical 12-megapixel phone photo with Pillow (4000 x 3000 JPEG, photographic-looking
content with grain, EXIF with camera, orientation 6 and a GPS position), then runs the upload
path of products.images a few times: prepare() (decode, checks, upright, sRGB, shrink,
re-encode without metadata) and make_renditions() (WebP widths and thumbnail) into a
temporary FileSystemStorage. Prints the time per upload and the bytes of each file.
No database is used.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "umkm_directory.settings")
django.setup()

from django.core.files.storage import FileSystemStorage  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from products.images import make_renditions  # noqa: E402
from umkm_directory.pictures import prepare  # noqa: E402


def phone_photo(quality, seed=7):
    """4000 x 3000 stored sideways (orientation 6), like a phone held upright."""
    import random

    rng = random.Random(seed)
    width, height = 4000, 3000
    # Soft light across the scene.
    gradient = Image.linear_gradient("L").resize((width, height))
    base = Image.merge("RGB", [gradient.point(lambda v, k=k: int(90 + v * k)) for k in (0.55, 0.42, 0.30)])
    # Objects on a table: blurred shapes of varied colours.
    draw = ImageDraw.Draw(base)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(80, 900), rng.randrange(80, 700)
        colour = tuple(rng.randrange(30, 240) for _ in range(3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + w, y + h), fill=colour)
    base = base.filter(ImageFilter.GaussianBlur(3))
    # Texture (food, fabric) and sensor grain.
    blotches = Image.merge(
        "RGB", [Image.effect_noise((width // 4, height // 4), 60).resize((width, height), Image.BICUBIC)] * 3
    )
    grain = Image.merge("RGB", [Image.effect_noise((width, height), 28) for _ in range(3)])
    photo = Image.blend(Image.blend(base, blotches, 0.22), grain, 0.16)

    exif = Image.Exif()
    exif[0x010F] = "samsung"
    exif[0x0110] = "Galaxy A15"
    exif[0x0132] = "2025:03:14 10:21:07"
    exif[0x0112] = 6
    exif[0x8825] = {1: "S", 2: (1.0, 15.0, 57.6), 3: "E", 4: (116.0, 51.0, 32.4)}  # a house in Balikpapan
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def kb(size):
    return f"{size / 1024:,.0f} KB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quality", type=int, default=92, help="JPEG quality of the phone photo")
    args = parser.parse_args()

    upload_bytes = phone_photo(args.quality)
    print(f"Phone photo: 4000 x 3000 JPEG q{args.quality}, EXIF orientation 6 + GPS: {kb(len(upload_bytes))}")

    times = {"prepare": [], "renditions": [], "total": []}
    cpu = {"prepare": [], "renditions": [], "total": []}
    with tempfile.TemporaryDirectory() as tmp:
        storage = FileSystemStorage(location=tmp)
        for run in range(args.runs):
            wall, proc = time.perf_counter(), time.process_time()
            content = prepare(SimpleUploadedFile("IMG_20250314_102107.jpg", upload_bytes))
            wall_prepared, proc_prepared = time.perf_counter(), time.process_time()
            name = storage.save(f"products/{content.name}", content)
            renditions = make_renditions(name, storage)
            wall_done, proc_done = time.perf_counter(), time.process_time()
            times["prepare"].append(wall_prepared - wall)
            times["renditions"].append(wall_done - wall_prepared)
            times["total"].append(wall_done - wall)
            cpu["prepare"].append(proc_prepared - proc)
            cpu["renditions"].append(proc_done - proc_prepared)
            cpu["total"].append(proc_done - proc)
            if run < args.runs - 1:
                for stored in [
                    name,
                    *(r["name"] for r in renditions["widths"]),
                    renditions["thumbnail"]["name"],
                ]:
                    storage.delete(stored)

        print(f"\nTime per upload over {args.runs} runs (CPU time is steadier on a busy machine):")
        print(f"  {'':<11} {'median':>8} {'min':>8} {'CPU median':>11}")
        for label in times:
            print(
                f"  {label:<11} {statistics.median(times[label]) * 1000:5.0f} ms"
                f" {min(times[label]) * 1000:5.0f} ms {statistics.median(cpu[label]) * 1000:8.0f} ms"
            )

        print("\nBytes (last run):")
        original = Image.open(storage.path(name))
        rows = [("uploaded photo", "4000 x 3000", len(upload_bytes), "JPEG with EXIF + GPS")]
        rows.append(
            (
                "stored original",
                f"{original.width} x {original.height}",
                storage.size(name),
                f"{original.format}, no metadata",
            )
        )
        for r in renditions["widths"]:
            rows.append(
                (f"rendition {r['width']}w", f"{r['width']} x {r['height']}", storage.size(r["name"]), "WebP")
            )
        thumb = renditions["thumbnail"]
        rows.append(("thumbnail", f"{thumb['size']} x {thumb['size']}", storage.size(thumb["name"]), "WebP"))
        for label, size, nbytes, note in rows:
            print(f"  {label:<17} {size:<12} {kb(nbytes):>10}  {nbytes / len(upload_bytes):6.1%}  {note}")


if __name__ == "__main__":
    main()
