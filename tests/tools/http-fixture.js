#!/usr/bin/env node
// http-fixture.js: a small web server for the HTTP source tests (Node's own
// http module; no packages). Serves the files under DIR on 127.0.0.1 with
// strong ETags, Last-Modified, single ranges ("bytes=N-" and "bytes=N-M")
// and If-Match, and injects faults chosen by a path prefix:
//   /fail/N/PATH      the first N requests for this URL answer 503 (Retry-After: 0)
//   /reset/B/PATH     the first request for this URL sends B body bytes, then drops the connection
//   /change/B/PATH    like /reset/B, and appends a line to the file before dropping (a new ETag)
//   /norange/PATH     ignores Range (always the whole file, 200)
//   /redirect/PATH    302 to /PATH
//   /status/S/PATH    always answers S with a short text body
// Usage: node http-fixture.js DIR PORTFILE LOGFILE
// It writes its port to PORTFILE once listening, and one line per request
// to LOGFILE: "METHOD URL range=<Range or -> if-match=<If-Match or -> -> STATUS".
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const [dirArg, portFile, logFile] = process.argv.slice(2);
const dir = path.resolve(dirArg || '.');
if (!dirArg || !portFile || !logFile) {
  process.stderr.write('usage: http-fixture.js DIR PORTFILE LOGFILE\n');
  process.exit(2);
}
const seen = new Map(); // fault key -> requests so far

function log(req, status) {
  const range = req.headers.range || '-';
  const match = req.headers['if-match'] || '-';
  fs.appendFileSync(logFile, `${req.method} ${req.url} range=${range} if-match=${match} -> ${status}\n`);
}

function count(key) {
  const n = (seen.get(key) || 0) + 1;
  seen.set(key, n);
  return n;
}

function serve(req, res, rel, opts) {
  const file = path.join(dir, decodeURIComponent(rel));
  if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return log(req, 404);
  }
  const body = fs.readFileSync(file);
  const st = fs.statSync(file);
  const etag = '"' + crypto.createHash('sha256').update(body).digest('hex').slice(0, 32) + '"';
  const headers = { ETag: etag, 'Last-Modified': st.mtime.toUTCString(), 'Accept-Ranges': 'bytes' };
  const match = req.headers['if-match'];
  if (match && match !== '*' && match !== etag) {
    res.writeHead(412, { 'Content-Type': 'text/plain' });
    res.end('precondition failed\n');
    return log(req, 412);
  }
  let start = 0, end = body.length - 1, status = 200;
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
  if (m && !opts.norange) {
    start = Number(m[1]);
    if (m[2]) end = Math.min(Number(m[2]), end);
    if (start >= body.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` });
      res.end();
      return log(req, 416);
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${body.length}`;
  }
  const part = body.subarray(start, end + 1);
  headers['Content-Length'] = String(part.length);
  res.writeHead(status, headers);
  log(req, status);
  if (opts.resetAfter !== undefined) {
    res.write(part.subarray(0, opts.resetAfter), () => setTimeout(() => {
      if (opts.change)
        fs.appendFileSync(opts.change, 'changed\n');
      req.socket.destroy();
    }, 50));
    return;
  }
  res.end(part);
}

const server = http.createServer((req, res) => {
  let p = new URL(req.url, 'http://x').pathname;
  const opts = {};
  let m;
  for (;;) { // prefixes combine: /reset/1000/norange/a.log
    if ((m = /^\/fail\/(\d+)(\/.*)$/.exec(p))) {
      p = m[2];
      if (count('fail' + req.url) <= Number(m[1])) {
        res.writeHead(503, { 'Retry-After': '0', 'Content-Type': 'text/plain' });
        res.end('try again\n');
        return log(req, 503);
      }
    } else if ((m = /^\/reset\/(\d+)(\/.*)$/.exec(p))) {
      p = m[2];
      if (count('reset' + req.url) === 1)
        opts.resetAfter = Number(m[1]);
    } else if ((m = /^\/change\/(\d+)(\/.*)$/.exec(p))) {
      p = m[2];
      if (count('change' + req.url) === 1) {
        opts.resetAfter = Number(m[1]);
        opts.change = path.join(dir, decodeURIComponent(p));
      }
    } else if ((m = /^\/norange(\/.*)$/.exec(p))) {
      p = m[1];
      opts.norange = true;
    } else if ((m = /^\/redirect(\/.*)$/.exec(p))) {
      res.writeHead(302, { Location: m[1] });
      res.end();
      return log(req, 302);
    } else if ((m = /^\/status\/(\d+)(\/.*)$/.exec(p))) {
      res.writeHead(Number(m[1]), { 'Content-Type': 'text/plain' });
      res.end('status ' + m[1] + '\n');
      return log(req, Number(m[1]));
    } else {
      return serve(req, res, p, opts);
    }
  }
});

server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
