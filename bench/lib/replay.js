/**
 * The ingestion bench's load generator, run as its own process (plain Node, no TypeScript) so that
 * its CPU is never the server's: it reads a file of prepared HTTP bodies (one JSON body per line),
 * builds every request's bytes (request line, headers, body) BEFORE the clock starts, then replays
 * them over `connections` keep-alive sockets, one request in flight per socket (no pipelining).
 * Connection c sends lines c, c + connections, c + 2·connections, …, so a pool written with one
 * source per connection (increasing sourceSequence along its lines) arrives in order per source.
 * Stops when the pool is spent or `durationMs` has passed. The server's CPU time (utime + stime from
 * /proc/<serverPid>/stat) is read right before the first request and right after the last reply.
 *
 * Usage: node bench/lib/replay.js '<json config>'
 *   config: { url, path, token?, file, connections, durationMs, serverPid? }
 * Prints one JSON line: { sent, statuses: {code: count}, elapsedMs, latencyMs: {p50, p99, max},
 *   serverCpuSeconds, serverSysSeconds (the kernel's part), firstFailure?: {status, body} }.
 */
"use strict";
const fs = require("node:fs");
const net = require("node:net");
const { performance } = require("node:perf_hooks");

const cfg = JSON.parse(process.argv[2]);
const u = new URL(cfg.url);

/** [utime, stime] of a process in seconds (USER_HZ = 100 on Linux), or null without /proc. */
function cpuSeconds(pid) {
  if (!pid) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return [Number(f[11]) / 100, Number(f[12]) / 100];
  } catch {
    return null;
  }
}

const head = (len) =>
  `POST ${cfg.path} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\n` +
  (cfg.token ? `Authorization: Bearer ${cfg.token}\r\n` : "") +
  `Content-Length: ${len}\r\n\r\n`;

// Every request's bytes, prepared before the clock starts.
const text = fs.readFileSync(cfg.file, "utf8");
const requests = [];
for (const line of text.split("\n")) {
  if (!line) continue;
  const body = Buffer.from(line, "utf8");
  requests.push(Buffer.concat([Buffer.from(head(body.length), "latin1"), body]));
}

const statuses = {};
const latencies = new Float64Array(requests.length);
let done = 0;
let firstFailure;
let stopAt = 0;
let open = 0;
let t0 = 0;
let cpu0 = null;

function finish() {
  const elapsedMs = performance.now() - t0;
  const cpu1 = cpuSeconds(cfg.serverPid);
  const lat = Array.from(latencies.subarray(0, done)).sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : 0);
  process.stdout.write(
    JSON.stringify({
      sent: done,
      statuses,
      elapsedMs,
      latencyMs: { p50: q(0.5), p99: q(0.99), max: lat.length ? lat[lat.length - 1] : 0 },
      serverCpuSeconds: cpu0 !== null && cpu1 !== null ? cpu1[0] + cpu1[1] - cpu0[0] - cpu0[1] : null,
      serverSysSeconds: cpu0 !== null && cpu1 !== null ? cpu1[1] - cpu0[1] : null,
      firstFailure,
    }) + "\n",
  );
}

/** One keep-alive connection replaying lines c, c + n, c + 2n, … in order. */
function connection(c, n) {
  let next = c;
  let sentAt = 0;
  let buf = Buffer.alloc(0);
  const sock = net.connect({ host: u.hostname, port: Number(u.port) });
  sock.setNoDelay(true);
  const send = () => {
    if (next >= requests.length || performance.now() >= stopAt) {
      sock.end();
      return;
    }
    sentAt = performance.now();
    sock.write(requests[next]);
    next += n;
  };
  sock.on("connect", send);
  sock.on("data", (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    for (;;) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const header = buf.toString("latin1", 0, end);
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(header);
      const len = m ? Number(m[1]) : 0;
      if (buf.length < end + 4 + len) return;
      const status = Number(header.slice(9, 12));
      latencies[done++] = performance.now() - sentAt;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if ((status < 200 || status > 299) && !firstFailure)
        firstFailure = { status, body: buf.toString("utf8", end + 4, end + 4 + Math.min(len, 2000)) };
      buf = buf.subarray(end + 4 + len);
      send();
    }
  });
  sock.on("error", (e) => {
    if (!firstFailure) firstFailure = { status: 0, body: `socket error: ${e.message}` };
  });
  sock.on("close", () => {
    if (--open === 0) finish();
  });
}

cpu0 = cpuSeconds(cfg.serverPid);
t0 = performance.now();
stopAt = t0 + cfg.durationMs;
const conns = Math.min(cfg.connections, requests.length);
open = conns;
for (let c = 0; c < conns; c++) connection(c, conns);
