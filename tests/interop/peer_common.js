// Plumbing shared by shepherd_peer.js and nodelib_peer.js: JSON-line output, the serial
// command loop on stdin, raw-payload capture on node-coap agents, a request/response hook on
// node-coap servers (loopback bind), and the process lifetime rules. The JSON protocol itself
// is documented at the top of each peer script.
'use strict';

const dgram = require('dgram');
const readline = require('readline');
const util = require('util');

const HOST = '127.0.0.1';

// Libraries log with console.* or to stdout; stdout carries the protocol only.
for (const name of ['log', 'info', 'warn', 'debug', 'error']) {
  console[name] = (...args) => process.stderr.write(util.format(...args) + '\n');
}

// Buffers (opaque values) become {"opaque":"<hex>"} instead of node's {"type":"Buffer",...}.
function replacer(key, value) {
  if (value && value.type === 'Buffer' && Array.isArray(value.data)) {
    return { opaque: Buffer.from(value.data).toString('hex') };
  }
  return value;
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj, replacer) + '\n');
}

function errorText(e) {
  if (e === undefined || e === null) return 'unknown error';
  if (typeof e === 'string') return e;
  const parts = [];
  if (e.name && e.name !== 'Error') parts.push(e.name);
  if (e.message) parts.push(e.message);
  if (e.code) parts.push('code=' + e.code);
  return parts.length ? parts.join(': ') : String(e);
}

function numberEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) ? n : NaN;
}

// PORT must be picked by the caller: neither library can report a port chosen by the kernel.
function readConfig() {
  const port = numberEnv('PORT', NaN);
  const runSecs = numberEnv('RUN_SECS', 120);
  const cmdTimeoutSecs = numberEnv('CMD_TIMEOUT_SECS', 30);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    fatal(`PORT must be an integer 1..65535 (got ${JSON.stringify(process.env.PORT)})`, 2);
  }
  if (!(runSecs > 0)) fatal('RUN_SECS must be > 0', 2);
  if (!(cmdTimeoutSecs > 0)) fatal('CMD_TIMEOUT_SECS must be > 0', 2);
  return { port, runSecs, cmdTimeoutSecs };
}

let exiting = false;
let stopServer = (done) => done();

function setStopper(fn) {
  stopServer = fn;
}

function shutdown(reason, code = 0) {
  if (exiting) return;
  exiting = true;
  emit({ event: 'exit', reason });
  const hardStop = setTimeout(() => process.exit(code), 1500);
  hardStop.unref();
  try {
    stopServer(() => process.exit(code));
  } catch (e) {
    process.exit(code);
  }
}

function fatal(message, code) {
  if (!exiting) emit({ event: 'fatal', error: message });
  exiting = true;
  process.exit(code);
}

function installProcessGuards(runSecs) {
  process.on('uncaughtException', (e) => fatal('uncaught exception: ' + errorText(e), 3));
  // Library promise chains reject into nowhere; report them without dying.
  process.on('unhandledRejection', (e) => emit({ event: 'library-error', error: errorText(e) }));
  process.on('SIGTERM', () => shutdown('sigterm'));
  process.on('SIGINT', () => shutdown('sigint'));
  setTimeout(() => shutdown('run-secs'), runSecs * 1000);
}

// ---- paths ----

// "/3303/0/5700" -> ["3303","0","5700"]; 1 to 3 numeric segments; a trailing '/' is allowed.
function parsePath(path) {
  if (typeof path !== 'string' || !/^\/?\d{1,5}(\/\d{1,5}){0,2}\/?$/.test(path)) {
    throw new Error(`bad path ${JSON.stringify(path)}: expected /oid[/iid[/rid]]`);
  }
  return path.split('/').filter((s) => s !== '');
}

function normPath(pathname) {
  return '/' + String(pathname || '').split('/').filter((s) => s !== '').join('/');
}

// ---- raw capture ----

const CONTENT_FORMATS = {
  'text/plain': 0,
  'application/link-format': 40,
  'application/octet-stream': 42,
  'application/json': 50,
  'application/cbor': 60,
  'application/senml+json': 110,
  'application/senml+cbor': 112,
  'application/tlv': 11542,
  'application/vnd.oma.lwm2m+tlv': 11542,
  'application/vnd.oma.lwm2m+json': 11543,
  'application-vnd-oma-lwm2m/text': 1541,
  'application-vnd-oma-lwm2m/tlv': 1542,
};

function contentFormatNumber(name) {
  if (name === undefined || name === null) return undefined;
  if (typeof name === 'number') return name;
  return Object.prototype.hasOwnProperty.call(CONTENT_FORMATS, name) ? CONTENT_FORMATS[name] : name;
}

let capture = null;
const lastNotifyRaw = new Map(); // normalized path -> Buffer of the latest notification

// Commands run one at a time, so at most one capture is open: it claims the first outgoing
// request with the same method and path and records the response as it came off the wire,
// before the library decodes (or stringifies) the payload.
function beginCapture(method, path) {
  capture = { method, path: normPath(path), claimed: false, code: null, raw: null, cf: undefined };
  return capture;
}

function endCapture() {
  capture = null;
}

function installCapture(coap) {
  const origRequest = coap.Agent.prototype.request;
  coap.Agent.prototype.request = function (url) {
    const req = origRequest.apply(this, arguments);
    try {
      const path = normPath(url.pathname);
      const method = url.method || 'GET';
      const c = capture;
      if (c && !c.claimed && c.method === method && c.path === path) {
        c.claimed = true;
        req.on('response', (res) => {
          c.code = res.code;
          c.raw = Buffer.isBuffer(res.payload) ? Buffer.from(res.payload) : null;
          c.cf = contentFormatNumber(res.headers && res.headers['Content-Format']);
        });
      }
      if (url.observe) {
        req.on('response', (res) => {
          const origEmit = res.emit;
          res.emit = function (ev, chunk) {
            if (ev === 'data' && Buffer.isBuffer(chunk)) lastNotifyRaw.set(path, Buffer.from(chunk));
            return origEmit.apply(this, arguments);
          };
        });
      }
    } catch (e) {
      emit({ event: 'library-error', error: 'capture: ' + errorText(e) });
    }
    return req;
  };
}

function rawHex(buf) {
  return buf ? buf.toString('hex') : undefined;
}

// ---- server hook ----

// Both libraries call server.listen(port, cb), i.e. bind 0.0.0.0: force loopback. `hook`
// (optional) sees every request before the library: hook.before(req, rsp) may answer it
// itself and return true to keep it from the library; hook.after(req, rsp) runs when the
// response is sent (rsp.code is set by then).
function bindLoopback(coap, hook) {
  const origCreateServer = coap.createServer;
  coap.createServer = function () {
    const server = origCreateServer.apply(this, arguments);
    const origListen = server.listen;
    // Synchronous on purpose: coap-shepherd hands server._sock to its agent right after.
    server.listen = function (port, cb) {
      return origListen.call(server, port, HOST, cb);
    };
    if (hook) {
      const origEmit = server.emit;
      server.emit = function (ev, req, rsp) {
        if (ev !== 'request') return origEmit.apply(this, arguments);
        try {
          if (hook.before && hook.before(req, rsp)) return true;
          if (hook.after) {
            const origEnd = rsp.end;
            rsp.end = function () {
              const r = origEnd.apply(this, arguments);
              try {
                hook.after(req, rsp);
              } catch (e) {
                emit({ event: 'library-error', error: 'hook: ' + errorText(e) });
              }
              return r;
            };
          }
        } catch (e) {
          emit({ event: 'library-error', error: 'hook: ' + errorText(e) });
        }
        return origEmit.apply(this, arguments);
      };
    }
    return server;
  };
}

// node-coap binds with SO_REUSEADDR, so a peer on a taken port would start and share it
// silently: probe with a plain socket first and refuse a port in use.
function whenPortFree(port, start) {
  const probe = dgram.createSocket('udp4');
  probe.once('error', (e) => fatal(`port ${port} on ${HOST} is not free: ${errorText(e)}`, 2));
  probe.bind(port, HOST, () => probe.close(start));
}

// "/rd?ep=a&lt=60" -> {pathname:"/rd", params:[["ep","a"],["lt","60"]]}
function splitUrl(url) {
  const [pathname, query] = String(url || '').split('?');
  const params = query ? query.split('&').map((kv) => {
    const i = kv.indexOf('=');
    return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
  }) : [];
  return { pathname: normPath(pathname), params };
}

// ---- command loop ----

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// handlers: {op: async (cmd) => reply fields}. Replies carry the command's id.
function startCommandLoop(handlers, cmdTimeoutSecs) {
  const queue = [];
  let busy = false;
  let eof = false;

  async function runOne(line) {
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch (e) {
      emit({ id: null, error: 'bad JSON: ' + errorText(e) });
      return;
    }
    if (cmd === null || typeof cmd !== 'object' || Array.isArray(cmd)) {
      emit({ id: null, error: 'command must be a JSON object' });
      return;
    }
    const id = cmd.id === undefined ? null : cmd.id;
    if (cmd.op === 'quit') {
      emit({ id, status: 'bye' });
      shutdown('quit');
      return;
    }
    const handler = Object.prototype.hasOwnProperty.call(handlers, cmd.op) ? handlers[cmd.op] : null;
    if (!handler) {
      emit({ id, error: `unknown op ${JSON.stringify(cmd.op)}` });
      return;
    }
    try {
      const reply = await withTimeout(Promise.resolve().then(() => handler(cmd)), cmdTimeoutSecs * 1000);
      emit(Object.assign({ id }, reply));
    } catch (e) {
      emit({ id, error: errorText(e) });
    } finally {
      endCapture();
    }
  }

  async function pump() {
    if (busy) return;
    busy = true;
    while (queue.length && !exiting) await runOne(queue.shift());
    busy = false;
    if (eof) shutdown('stdin-eof');
  }

  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    queue.push(line);
    pump().catch((e) => emit({ event: 'library-error', error: 'command loop: ' + errorText(e) }));
  });
  // Commands already queued still run (each is bounded by the timeout), then the peer exits.
  rl.on('close', () => {
    eof = true;
    if (!busy) shutdown('stdin-eof');
  });
}

module.exports = {
  HOST,
  emit,
  errorText,
  readConfig,
  installProcessGuards,
  setStopper,
  shutdown,
  fatal,
  parsePath,
  normPath,
  splitUrl,
  beginCapture,
  installCapture,
  rawHex,
  lastNotifyRaw,
  contentFormatNumber,
  bindLoopback,
  whenPortFree,
  startCommandLoop,
};
