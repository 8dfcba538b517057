// Remote-controlled LwM2M server peer built on lwm2m-node-lib@1.4.0 (coap overridden to
// 0.23.1 in package.json, which keeps the first notification). In-memory registry, no
// MongoDB. A test starts it, reads events on stdout and sends commands on stdin, one JSON
// object per line each way.
//
// Environment
//   PORT              UDP port on 127.0.0.1 (required; the caller picks a free one)
//   RUN_SECS          exit by itself after this many seconds (default 120)
//   CMD_TIMEOUT_SECS  a command without an answer by then replies with an error (default 30)
//   LOG               library log level on stderr (default FATAL; DEBUG for everything)
//
// Events (stdout)
//   {"event":"ready","port":N,"server":"lwm2m-node-lib"}
//   {"event":"register","ep":"..","lt":N,"version":"1.1","binding":"U","payload":"</1/0>,..",
//    "location":"/rd/1"}
//   {"event":"update","ep":".."[,"lt":N][,"binding":".."][,"payload":".."]}   (values from
//       the request's query; the library accepted it)
//   {"event":"deregister","ep":".."}   De-register or lifetime expiry
//   {"event":"notify","ep":"..","path":"/3/0/9","value":"<utf-8 string>"[,"raw":"hex"]}
//   {"event":"library-error","error":".."}   asynchronous library failure (not fatal)
//   {"event":"exit","reason":"run-secs"|"stdin-eof"|"quit"|"sigterm"}
//   {"event":"fatal","error":".."}     then exit 2 (bad start-up) or 3 (uncaught exception)
//
// Commands (stdin) and replies (stdout); every reply carries the command's "id"
//   {"id":1,"op":"read","ep":"..","path":"/3303/0/5700","format":"text"|"tlv"}
//       -> {"id":1,"status":"2.05","value":"21.5","raw":"hex","cf":0}
//       "text" (default) sends Accept text/plain, "tlv" Accept 11542. The library hands every
//       payload over as a UTF-8 string: "value" is given only when that string is the exact
//       payload (so not for TLV); "raw" always has the bytes.
//       Instance and object paths work (the library needs a trailing '/', added here).
//   {"id":2,"op":"write","ep":"..","path":"/3/0/14","value":V,"format":"text"|"tlv"[,"raw":"hex"]}
//       -> {"id":2,"status":"2.04"}. "text" (default) sends String(V) as text/plain; the
//       library cannot encode TLV, so "tlv" needs "raw" (the TLV bytes in hex).
//   {"id":3,"op":"execute","ep":"..","path":"/3/0/4"[,"args":"0='x'"]} -> {"id":3,"status":"2.04"}
//   {"id":4,"op":"discover","ep":"..","path":"/3/0"}
//       -> {"id":4,"status":"2.05","value":"</3/0>,..","text":"</3/0>,..","raw":"hex"}
//   {"id":5,"op":"observe","ep":"..","path":"/3/0/9","format":"text"|"tlv"}
//       -> {"id":5,"status":"2.05","value":".."} then "notify" events ("value" is the
//       library's UTF-8 string, whatever the content format)
//   {"id":6,"op":"cancel","ep":"..","path":".."} -> {"id":6,"status":"closed","sent":false}
//       (the library only drops its stream: nothing reaches the client)
//   {"id":7,"op":"write-attributes","ep":"..","path":"..","attrs":{"pmin":1,"pmax":30}}
//       -> {"id":7,"status":"2.04"}
//   {"id":8,"op":"list"} -> {"id":8,"endpoints":[{"ep":"..","location":"/rd/1","lt":N}]}
//   {"id":9,"op":"quit"} -> {"id":9,"status":"bye"}, then exit 0
//   Any failure -> {"id":N,"error":"message"}. "status" is the CoAP code the client sent
//   (error codes too: {"status":"4.04","libraryError":".."}). Commands run one at a time, in
//   order. stdin EOF: finish queued commands, then exit 0.
'use strict';

const path = require('path');
const common = require('./peer_common');

const { emit, errorText } = common;
const cfg = common.readConfig();
common.installProcessGuards(cfg.runSecs);

const LIB_DIR = path.dirname(require.resolve('lwm2m-node-lib/package.json'));
const requireFromLib = (name) => require(require.resolve(name, { paths: [LIB_DIR] }));

requireFromLib('logops').setStream(process.stderr);
const coap = requireFromLib('coap');
common.installCapture(coap);

// The library gives its update handler the stored device only: keep the last Update's query
// so the event can say what the client sent.
let lastUpdateQuery = {};
common.bindLoopback(coap, {
  before(req) {
    const { pathname, params } = common.splitUrl(req.url);
    const segs = pathname.split('/').filter((s) => s !== '');
    if (req.method === 'POST' && segs[0] === 'rd' && segs.length === 2) lastUpdateQuery = Object.fromEntries(params);
    return false;
  },
});

const lwm2m = require('lwm2m-node-lib');
const server = lwm2m.server;

const FORMATS = {
  text: 'text/plain',
  tlv: 'application/vnd.oma.lwm2m+tlv',
};

// The library keeps this object and reads it on every request: read/write formats are
// switched per command (commands run one at a time).
const config = {
  port: cfg.port,
  lifetimeCheckInterval: 1000,
  udpWindow: 100,
  defaultType: 'Device',
  types: [],
  logLevel: process.env.LOG || 'FATAL',
  ipProtocol: 'udp4',
  serverProtocol: 'udp4',
  formats: [
    { name: 'application/vnd.oma.lwm2m+tlv', value: 11542 },
    { name: 'application/vnd.oma.lwm2m+json', value: 11543 },
    { name: 'application-vnd-oma-lwm2m/text', value: 1541 },
    { name: 'application-vnd-oma-lwm2m/tlv', value: 1542 },
  ],
  writeFormat: FORMATS.text,
  defaultAcceptFormat: FORMATS.text,
};

const call = (fn, ...args) =>
  new Promise((resolve) => {
    fn(...args, (err, ...res) => resolve({ err, res }));
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function toNumberIfNumeric(v) {
  return v !== undefined && /^\d+$/.test(String(v)) ? Number(v) : v;
}

async function device(ep) {
  if (typeof ep !== 'string' || ep === '') throw new Error('"ep" (endpoint name) is required');
  const r = await call(server.getDevice, ep);
  if (r.err || !r.res[0]) throw new Error(`endpoint ${ep} is not registered`);
  return r.res[0];
}

function formatOf(cmd) {
  const name = cmd.format || 'text';
  if (!Object.prototype.hasOwnProperty.call(FORMATS, name)) throw new Error('format must be "text" or "tlv"');
  return name;
}

function hexPayload(cmd) {
  if (cmd.raw === undefined) return undefined;
  if (typeof cmd.raw !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(cmd.raw)) throw new Error('"raw" must be a hex string');
  return Buffer.from(cmd.raw, 'hex');
}

// The library builds '/o/i/r' from three arguments; an empty argument leaves an empty path
// segment, which node-coap drops: that is how instance and object paths are reached.
function segments(cmd, min) {
  const segs = common.parsePath(cmd.path);
  if (segs.length < min) throw new Error(`path ${cmd.path} needs at least ${min} segments for this operation`);
  return [segs[0], segs[1] || '', segs[2] || '', '/' + segs.join('/')];
}

// The library reports a client's error code as an error, and an Observe answered with an
// error code never calls back at all: the captured wire code settles both.
async function run(c, promise, { withValue = false, withText = false } = {}) {
  let settled = null;
  promise.then((r) => {
    settled = r;
  });
  const deadline = Date.now() + cfg.cmdTimeoutSecs * 1000;
  for (;;) {
    if (settled) break;
    if (Date.now() > deadline) throw new Error('timeout waiting for the library');
    if (c.code && !c.code.startsWith('2.')) {
      await sleep(100);
      break;
    }
    await sleep(20);
  }
  const { err, res } = settled || { err: null, res: [] };
  if (!c.code) throw err || new Error('no response from the client');
  const out = { status: c.code };
  // The library decodes every payload as UTF-8: keep its string only when that was lossless.
  if (withValue && !err && c.code.startsWith('2.') && typeof res[0] === 'string' && c.raw &&
      Buffer.from(res[0], 'utf8').equals(c.raw)) {
    out.value = res[0];
  }
  if (withText && c.raw) out.text = c.raw.toString('utf8');
  if (c.raw && c.raw.length) out.raw = common.rawHex(c.raw);
  if (c.cf !== undefined) out.cf = c.cf;
  if (err) out.libraryError = errorText(err);
  return out;
}

// Sets the library's formats for one request and puts the defaults back afterwards.
async function withFormats(accept, write, fn) {
  config.defaultAcceptFormat = accept;
  config.writeFormat = write;
  try {
    return await fn();
  } finally {
    config.defaultAcceptFormat = FORMATS.text;
    config.writeFormat = FORMATS.text;
  }
}

const handlers = {
  async read(cmd) {
    const [o, i, r, p] = segments(cmd, 1);
    const format = formatOf(cmd);
    const dev = await device(cmd.ep);
    const c = common.beginCapture('GET', p);
    return withFormats(FORMATS[format], FORMATS.text, () => run(c, call(server.read, dev.id, o, i, r), { withValue: true }));
  },

  async write(cmd) {
    const [o, i, r, p] = segments(cmd, 2);
    const format = formatOf(cmd);
    const raw = hexPayload(cmd);
    if (format === 'tlv' && raw === undefined) throw new Error('lwm2m-node-lib cannot encode TLV: pass the bytes as "raw" hex');
    if (raw === undefined && cmd.value === undefined) throw new Error('"value" or "raw" is required');
    if (raw === undefined && (cmd.value === null || typeof cmd.value === 'object')) {
      throw new Error('a text write takes a string, number or boolean "value"');
    }
    // A Buffer even when empty: the library skips a falsy payload altogether.
    const payload = raw !== undefined ? raw : Buffer.from(String(cmd.value), 'utf8');
    const dev = await device(cmd.ep);
    const c = common.beginCapture('PUT', p);
    return withFormats(FORMATS.text, FORMATS[format], () => run(c, call(server.write, dev.id, o, i, r, payload)));
  },

  async execute(cmd) {
    const [o, i, r, p] = segments(cmd, 3);
    if (cmd.args !== undefined && typeof cmd.args !== 'string') throw new Error('"args" must be a string');
    const dev = await device(cmd.ep);
    const c = common.beginCapture('POST', p);
    const payload = cmd.args ? Buffer.from(cmd.args, 'utf8') : null;
    return run(c, call(server.execute, dev.id, o, i, r, payload));
  },

  async discover(cmd) {
    const segs = common.parsePath(cmd.path);
    const p = '/' + segs.join('/');
    const dev = await device(cmd.ep);
    const c = common.beginCapture('GET', p);
    return run(c, call(server.discover, dev.id, ...segs), { withValue: true, withText: true });
  },

  async observe(cmd) {
    const [o, i, r, p] = segments(cmd, 2);
    const format = formatOf(cmd);
    const dev = await device(cmd.ep);
    const onNotify = (value, no, ni, nr) => {
      const np = common.normPath(`/${no}/${ni}/${nr}`);
      emit({ event: 'notify', ep: cmd.ep, path: np, value, raw: common.rawHex(common.lastNotifyRaw.get(np)) });
    };
    const c = common.beginCapture('GET', p);
    return withFormats(FORMATS[format], FORMATS.text, () =>
      run(c, call(server.observe, dev.id, o, i, r, onNotify), { withValue: true }));
  },

  async cancel(cmd) {
    const [o, i, r] = segments(cmd, 2);
    const dev = await device(cmd.ep);
    const id = server.buildObserverId(dev.id, o, i, r);
    const observers = await call(server.listObservers);
    if (!(observers.res[0] || []).some((obs) => obs.id === id)) throw new Error(`${cmd.path} is not observed`);
    const res = await call(server.cancelObserver, dev.id, o, i, r);
    if (res.err) throw res.err;
    return { status: 'closed', sent: false };
  },

  async 'write-attributes'(cmd) {
    const segs = common.parsePath(cmd.path);
    if (!cmd.attrs || typeof cmd.attrs !== 'object' || Array.isArray(cmd.attrs)) throw new Error('"attrs" object is required');
    const dev = await device(cmd.ep);
    const c = common.beginCapture('PUT', '/' + segs.join('/'));
    return run(c, call(server.writeAttributes, dev.id, segs[0], segs[1], segs[2], cmd.attrs));
  },

  async list() {
    const r = await call(server.listDevices);
    if (r.err) throw r.err;
    return { endpoints: (r.res[0] || []).map((d) => ({ ep: d.name, location: '/rd/' + d.id, lt: toNumberIfNumeric(d.lifetime) })) };
  },
};

function onRegistration(ep, lt, version, binding, payload, cb) {
  cb();
  server.getDevice(ep, (err, dev) => {
    emit({
      event: 'register',
      ep,
      lt: toNumberIfNumeric(lt),
      version,
      binding,
      payload,
      location: !err && dev ? '/rd/' + dev.id : undefined,
    });
  });
}

function onUpdate(dev, payload, cb) {
  cb();
  const q = lastUpdateQuery;
  lastUpdateQuery = {};
  emit({ event: 'update', ep: dev.name, lt: toNumberIfNumeric(q.lt), binding: q.b, payload: payload || undefined });
}

function onDeregistration(dev, cb) {
  emit({ event: 'deregister', ep: dev && dev.name });
  if (typeof cb === 'function') cb();
}

common.whenPortFree(cfg.port, () => server.start(config, (err, info) => {
  if (err) common.fatal('start: ' + errorText(err), 2);
  try {
    server.setHandler(info, 'registration', onRegistration);
    server.setHandler(info, 'updateRegistration', onUpdate);
    server.setHandler(info, 'unregistration', onDeregistration);
    // setHandler restarts the lifetime check with an undefined interval (a 1 ms busy
    // loop): restart it at the configured one.
    server.getRegistry().checkLifetime(config.lifetimeCheckInterval, onDeregistration);
    common.setStopper((done) => server.stop(info, () => done()));
    emit({ event: 'ready', port: info.server._sock.address().port, server: 'lwm2m-node-lib' });
    common.startCommandLoop(handlers, cfg.cmdTimeoutSecs);
  } catch (e) {
    common.fatal('start: ' + errorText(e), 2);
  }
}));
