#!/usr/bin/env node
// Draws the app icon (a rounded dark square with a track that splits in two, like a
// railway switch) and writes it as a 512x512 PNG to resources/ (runtime) and build/
// (electron-builder). Only node:zlib is needed: the PNG bytes are written here.
//
//   node scripts/make-icons.js
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const SIZE = 512;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targets = [join(root, 'resources', 'icon.png'), join(root, 'build', 'icon.png')];

const TILE = { inset: 24, radius: 104, top: [0x2a, 0x31, 0x40], bottom: [0x16, 0x1a, 0x22] };
const TRACK_WIDTH = 38;
const IDLE_COLOR = [0xe8, 0xec, 0xf3];
const ACTIVE_COLOR = [0x4f, 0xd1, 0xc5];

// The trunk comes up from the bottom and forks; each branch is a quadratic curve that
// leaves the fork vertically (its control point sits straight above the fork).
const fork = [256, 300];
const leftBranch = bezier(fork, [256, 200], [164, 96]);
const activeRoute = [[256, 432], ...bezier(fork, [256, 200], [348, 96])];

/** Points along a quadratic Bezier curve, as a polyline fine enough at this size. */
function bezier([x0, y0], [cx, cy], [x1, y1], steps = 48) {
  const points = [];
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const u = 1 - t;
    points.push([
      u * u * x0 + 2 * u * t * cx + t * t * x1,
      u * u * y0 + 2 * u * t * cy + t * t * y1,
    ]);
  }
  return points;
}

function distanceToSegment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function distanceToPolyline(px, py, points) {
  let best = Infinity;
  for (let i = 1; i < points.length; i++) {
    best = Math.min(best, distanceToSegment(px, py, points[i - 1], points[i]));
  }
  return best;
}

/** Signed distance to the rounded square: negative inside. */
function distanceToTile(px, py) {
  const half = SIZE / 2 - TILE.inset;
  const qx = Math.abs(px - SIZE / 2) - (half - TILE.radius);
  const qy = Math.abs(py - SIZE / 2) - (half - TILE.radius);
  const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0));
  return outside + Math.min(Math.max(qx, qy), 0) - TILE.radius;
}

/** Pixel coverage from a signed distance: a one-pixel ramp gives smooth edges. */
const coverage = (distance) => Math.max(0, Math.min(1, 0.5 - distance));

function over(pixel, color, alpha) {
  for (let c = 0; c < 3; c++) pixel[c] = pixel[c] * (1 - alpha) + color[c] * alpha;
}

function render() {
  const rgba = Buffer.alloc(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const tileAlpha = coverage(distanceToTile(px, py));
      const t = y / (SIZE - 1);
      const pixel = TILE.top.map((top, c) => top + (TILE.bottom[c] - top) * t);
      const half = TRACK_WIDTH / 2;
      // The idle branch goes underneath; trunk and right branch are the route the switch
      // is set to, drawn as one stroke so no cap shows at the fork.
      over(pixel, IDLE_COLOR, coverage(distanceToPolyline(px, py, leftBranch) - half));
      over(pixel, ACTIVE_COLOR, coverage(distanceToPolyline(px, py, activeRoute) - half));
      const offset = (y * SIZE + x) * 4;
      rgba[offset] = Math.round(pixel[0]);
      rgba[offset + 1] = Math.round(pixel[1]);
      rgba[offset + 2] = Math.round(pixel[2]);
      rgba[offset + 3] = Math.round(tileAlpha * 255);
    }
  }
  return rgba;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function encodePng(rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header[8] = 8; // bits per channel
  header[9] = 6; // colour type: RGBA
  // bytes 10-12: deflate compression, adaptive filtering, no interlace (all zero)
  const stride = SIZE * 4;
  const raw = Buffer.alloc((stride + 1) * SIZE);
  for (let y = 0; y < SIZE; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    rgba.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const png = encodePng(render());
for (const target of targets) {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, png);
  console.log(`wrote ${target} (${png.length} bytes)`);
}
