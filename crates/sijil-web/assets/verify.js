/* Sijil — verification in the citizen's own browser.
 *
 * The server already verified the receipt; this script checks it again here,
 * with WebCrypto, so that nobody has to take the server's word for it:
 *   1. the receipt's JWS signature (Ed25519) with the key its "kid" names in
 *      the published key set (/.well-known/jwks.json), valid at registration;
 *   2. the checkpoint, a C2SP signed note by the same registry key;
 *   3. the RFC 9162 inclusion proof of SHA-256(0x00 || payload) up to the
 *      checkpoint's root;
 *   4. a dropped document's SHA-256 against the receipt's documents. The file
 *      is read and hashed locally: it is never sent anywhere.
 * No inline script, no external resource: the page's CSP allows neither.
 */
(function () {
  'use strict';

  var app = document.getElementById('verify-app');
  if (!app) {
    return;
  }

  var strings = {};
  try {
    strings = JSON.parse(app.getAttribute('data-strings') || '{}');
  } catch (e) {
    strings = {};
  }

  /** A translated string with its {placeholders} filled in. */
  function str(key, vars) {
    var text = strings[key] || key;
    if (vars) {
      text = text.replace(/\{(\w+)\}/g, function (whole, name) {
        return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
      });
    }
    return text;
  }

  var subtle = window.crypto && window.crypto.subtle;
  var encoder = new TextEncoder();

  /** A verification step that failed, with the reason to show. */
  function Failure(reason, detail) {
    this.reason = reason;
    this.message = detail || reason;
  }

  function fail(reason, detail) {
    throw new Failure(reason, detail);
  }

  /** Runs a step; any unexpected error becomes a failure of that step. */
  async function step(reason, fn) {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof Failure) {
        throw e;
      }
      throw new Failure(reason, e && e.message);
    }
  }

  /** Bytes of standard or URL-safe base64, padded or not. */
  function base64Bytes(text) {
    var s = String(text).replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1) {
      throw new Error('not base64');
    }
    while (s.length % 4) {
      s += '=';
    }
    var binary = atob(s);
    var out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      out[i] = binary.charCodeAt(i);
    }
    return out;
  }

  function hex(bytes) {
    var out = '';
    for (var i = 0; i < bytes.length; i++) {
      out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    }
    return out;
  }

  function concat() {
    var total = 0;
    var i;
    for (i = 0; i < arguments.length; i++) {
      total += arguments[i].length;
    }
    var out = new Uint8Array(total);
    var offset = 0;
    for (i = 0; i < arguments.length; i++) {
      out.set(arguments[i], offset);
      offset += arguments[i].length;
    }
    return out;
  }

  function sameBytes(a, b) {
    if (a.length !== b.length) {
      return false;
    }
    var diff = 0;
    for (var i = 0; i < a.length; i++) {
      diff |= a[i] ^ b[i];
    }
    return diff === 0;
  }

  async function sha256(bytes) {
    return new Uint8Array(await subtle.digest('SHA-256', bytes));
  }

  /** Ed25519 verification with WebCrypto; a browser without it fails clearly. */
  async function ed25519Verify(publicKey, signature, data) {
    var key;
    try {
      key = await subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      fail('reasonUnsupported', e && e.message);
    }
    try {
      return await subtle.verify({ name: 'Ed25519' }, key, signature, data);
    } catch (e) {
      return false;
    }
  }

  /** The fixed timestamp format of receipts and keys: 2026-11-28T13:05:00.123Z. */
  function isFixedTime(t) {
    return typeof t === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(t);
  }

  function publicKeyOf(jwk) {
    if (!jwk || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
      return null;
    }
    try {
      var raw = base64Bytes(jwk.x);
      return raw.length === 32 ? raw : null;
    } catch (e) {
      return null;
    }
  }

  /** Opens a C2SP checkpoint signed by one of the keys, for this origin. */
  async function openCheckpoint(note, origin, keys) {
    var split = note.lastIndexOf('\n\n');
    if (split < 0) {
      fail('reasonCheckpoint', 'no blank line before the signatures');
    }
    var text = note.slice(0, split + 1);
    var block = note.slice(split + 2);
    if (!block || block.charAt(block.length - 1) !== '\n') {
      fail('reasonCheckpoint', 'no newline after the signatures');
    }
    var lines = text.split('\n');
    if (lines.length < 4 || lines[0] !== origin) {
      fail('reasonCheckpoint', 'the checkpoint is not for ' + origin);
    }
    if (!/^(0|[1-9][0-9]*)$/.test(lines[1])) {
      fail('reasonCheckpoint', 'bad tree size');
    }
    var size = BigInt(lines[1]);
    var root = base64Bytes(lines[2]);
    if (root.length !== 32) {
      fail('reasonCheckpoint', 'bad root hash');
    }
    var body = encoder.encode(text);
    var verified = false;
    var signatures = block.slice(0, -1).split('\n');
    for (var i = 0; i < signatures.length; i++) {
      var line = signatures[i];
      if (line.slice(0, 2) !== '\u2014 ') {
        fail('reasonCheckpoint', 'malformed signature line');
      }
      var rest = line.slice(2);
      var space = rest.indexOf(' ');
      if (space < 0 || rest.slice(0, space) !== origin) {
        continue;
      }
      var raw = base64Bytes(rest.slice(space + 1));
      if (raw.length !== 68) {
        continue;
      }
      var keyHash = raw.slice(0, 4);
      var signature = raw.slice(4);
      for (var k = 0; k < keys.length; k++) {
        var publicKey = publicKeyOf(keys[k]);
        if (!publicKey) {
          continue;
        }
        var digest = await sha256(concat(encoder.encode(origin + '\n'), new Uint8Array([1]), publicKey));
        if (!sameBytes(digest.slice(0, 4), keyHash)) {
          continue;
        }
        if (!(await ed25519Verify(publicKey, signature, body))) {
          fail('reasonCheckpoint', 'a signature by a known key does not verify');
        }
        verified = true;
      }
    }
    if (!verified) {
      fail('reasonCheckpoint', 'no signature by a known key');
    }
    return { size: size, root: root };
  }

  async function nodeHash(left, right) {
    return sha256(concat(new Uint8Array([1]), left, right));
  }

  /** RFC 9162, 2.1.3.2: verifying an inclusion proof. */
  async function verifyInclusion(index, size, leafHash, proof, root) {
    if (index >= size) {
      return false;
    }
    var fn = index;
    var sn = size - 1n;
    var r = leafHash;
    for (var i = 0; i < proof.length; i++) {
      if (sn === 0n) {
        return false;
      }
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(proof[i], r);
        if ((fn & 1n) === 0n) {
          while ((fn & 1n) === 0n && fn !== 0n) {
            fn >>= 1n;
            sn >>= 1n;
          }
        }
      } else {
        r = await nodeHash(r, proof[i]);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n && sameBytes(r, root);
  }

  /** Verifies a bundle; fills `seen.claims` as soon as they can be read. */
  async function verifyBundle(bundle, jwks, expectedNumber, seen) {
    var keys = (jwks && Array.isArray(jwks.keys)) ? jwks.keys : [];
    var parts = String(bundle.receipt || '').split('.');
    if (parts.length !== 3) {
      fail('reasonSignature', 'the receipt is not a compact JWS');
    }
    var parsed = await step('reasonSignature', function () {
      var header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64Bytes(parts[0])));
      var payload = base64Bytes(parts[1]);
      var signature = base64Bytes(parts[2]);
      return { header: header, payload: payload, signature: signature };
    });
    var claims = await step('reasonClaims', function () {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(parsed.payload));
    });
    seen.claims = claims;

    // 1. The receipt's signature, by a known key valid at registration time.
    var header = parsed.header;
    if ((header.alg !== 'EdDSA' && header.alg !== 'Ed25519') || header.crit !== undefined || parsed.signature.length !== 64) {
      fail('reasonSignature', 'unsupported JWS');
    }
    var jwk = null;
    for (var i = 0; i < keys.length; i++) {
      if (keys[i].kid === header.kid) {
        jwk = keys[i];
      }
    }
    var publicKey = publicKeyOf(jwk);
    if (!publicKey) {
      fail('reasonKey', 'unknown key ' + header.kid);
    }
    var signingInput = encoder.encode(parts[0] + '.' + parts[1]);
    if (!(await ed25519Verify(publicKey, parsed.signature, signingInput))) {
      fail('reasonSignature', 'the signature does not verify');
    }
    if (!claims || claims.type !== 'registration' || (expectedNumber && claims.number !== expectedNumber)) {
      fail('reasonClaims', 'unexpected claims');
    }
    var at = claims.registered_at;
    if (!isFixedTime(at) || !isFixedTime(jwk.not_before) || jwk.not_before > at ||
        (jwk.not_after !== undefined && jwk.not_after !== null && !(isFixedTime(jwk.not_after) && at < jwk.not_after))) {
      fail('reasonKey', 'the key was not valid at ' + at);
    }

    // 2. The checkpoint, signed by the registry.
    var checkpoint = await step('reasonCheckpoint', function () {
      return openCheckpoint(String(bundle.checkpoint || ''), String(claims.registry), keys);
    });

    // 3. The receipt is a leaf of the checkpointed tree.
    await step('reasonInclusion', async function () {
      var proof = bundle.inclusion_proof || {};
      var index = BigInt(proof.index);
      var size = BigInt(proof.tree_size);
      if (index !== BigInt(claims.index) || size !== checkpoint.size) {
        fail('reasonInclusion', 'the proof is not for this receipt and checkpoint');
      }
      var hashes = (proof.hashes || []).map(function (h) {
        var bytes = base64Bytes(h);
        if (bytes.length !== 32) {
          throw new Error('bad proof hash');
        }
        return bytes;
      });
      var leaf = await sha256(concat(new Uint8Array([0]), parsed.payload));
      if (!(await verifyInclusion(index, size, leaf, hashes, checkpoint.root))) {
        fail('reasonInclusion', 'the proof does not lead to the checkpoint root');
      }
    });
    return { kid: jwk.kid };
  }

  function parseJson(text) {
    if (!text) {
      return null;
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  async function fetchJson(url) {
    try {
      var response = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'omit' });
      return response.ok ? await response.json() : null;
    } catch (e) {
      return null;
    }
  }

  /** The bundle and keys: fetched from the public API, else those in the page. */
  async function load(result) {
    var number = result.getAttribute('data-number');
    var bundle = null;
    if (result.getAttribute('data-source') === 'registry' && number) {
      var answer = await fetchJson('/api/v1/receipts/' + encodeURIComponent(number));
      bundle = answer && answer.bundle ? answer.bundle : null;
    }
    if (!bundle) {
      bundle = parseJson(result.getAttribute('data-bundle'));
    }
    var jwks = await fetchJson('/.well-known/jwks.json');
    if (!jwks || !Array.isArray(jwks.keys)) {
      jwks = parseJson(result.getAttribute('data-jwks'));
    }
    if (!bundle || !jwks) {
      fail('reasonNetwork');
    }
    return { bundle: bundle, jwks: jwks, number: number };
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function showVerdict(ok, text, detail) {
    var status = document.getElementById('browser-status');
    var old = document.getElementById('browser-verdict');
    var container = (status && status.parentNode) || (old && old.parentNode);
    if (!container) {
      return;
    }
    container.textContent = '';
    var verdict = element('p', ok ? 'ok' : 'fail', text);
    verdict.id = 'browser-verdict';
    verdict.setAttribute('role', ok ? 'status' : 'alert');
    container.appendChild(verdict);
    if (detail) {
      var more = element('p', 'hint', detail);
      more.id = 'browser-verdict-detail';
      container.appendChild(more);
    }
  }

  /** Verifies the result shown by the server; resolves to what was found. */
  async function runVerification(result) {
    var status = document.getElementById('browser-status');
    if (status) {
      status.textContent = str('checking');
    }
    var seen = { claims: null };
    try {
      if (!subtle || !window.BigInt) {
        fail('reasonUnsupported');
      }
      var data = await load(result);
      var verified = await verifyBundle(data.bundle, data.jwks, data.number, seen);
      showVerdict(true, str('verified'), str('verifiedDetail', { kid: verified.kid }));
      return { ok: true, claims: seen.claims };
    } catch (e) {
      var reason = e instanceof Failure ? e.reason : 'reasonClaims';
      if (window.console) {
        window.console.warn('Sijil: verification in the browser failed:', e && e.message);
      }
      showVerdict(false, str('failed', { reason: str(reason) }));
      return { ok: false, claims: seen.claims };
    }
  }

  var result = document.getElementById('result');
  var verification = result ? runVerification(result) : null;

  // The document: hashed here, compared with the receipt's list.
  var input = document.getElementById('document');
  var zone = document.getElementById('dropzone');
  var status = document.getElementById('document-status');
  var generation = 0;

  async function checkFile(file) {
    var mine = ++generation;
    var previous = document.getElementById('document-result');
    if (previous) {
      previous.parentNode.removeChild(previous);
    }
    status.textContent = '';
    var progress = element('p', 'muted', str('hashing'));
    status.appendChild(progress);
    if (!subtle) {
      progress.textContent = str('failed', { reason: str('reasonUnsupported') });
      return;
    }
    var hash;
    try {
      hash = hex(await sha256(new Uint8Array(await file.arrayBuffer())));
    } catch (e) {
      if (mine === generation) {
        progress.textContent = str('fileError');
      }
      return;
    }
    if (mine !== generation) {
      return;
    }
    ['sha256', 'receipt-sha256'].forEach(function (id) {
      var field = document.getElementById(id);
      if (field) {
        field.value = hash;
      }
    });
    status.textContent = '';
    var line = element('p', 'muted', str('hashed') + ' ');
    var code = element('code', 'hash', hash);
    code.dir = 'ltr';
    line.appendChild(code);
    if (!verification) {
      status.appendChild(line);
      status.appendChild(element('p', 'hint', str('noReceipt')));
      return;
    }
    var found = await verification;
    if (mine !== generation) {
      return;
    }
    var documents = found.claims && Array.isArray(found.claims.documents) ? found.claims.documents : [];
    var position = -1;
    for (var i = 0; i < documents.length; i++) {
      var d = documents[i];
      if (position < 0 && String(d.sha256).toLowerCase() === hash && Number(d.size) === file.size) {
        position = i;
      }
    }
    var rows = document.querySelectorAll('#documents tr[data-sha256]');
    for (var r = 0; r < rows.length; r++) {
      rows[r].classList.toggle('matched', rows[r].getAttribute('data-sha256') === hash);
    }
    var verdict = position >= 0
      ? element('p', 'notice match', str('docMatch', { n: position + 1 }))
      : element('p', 'notice mismatch', str('docMismatch'));
    verdict.id = 'document-result';
    verdict.setAttribute('role', 'status');
    status.appendChild(verdict);
    status.appendChild(line);
  }

  if (input && zone && status) {
    input.addEventListener('change', function () {
      if (input.files && input.files.length) {
        checkFile(input.files[0]);
      }
    });
    ['dragenter', 'dragover'].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add('dragover');
      });
    });
    ['dragleave', 'dragend'].forEach(function (type) {
      zone.addEventListener(type, function () {
        zone.classList.remove('dragover');
      });
    });
    zone.addEventListener('drop', function (event) {
      event.preventDefault();
      zone.classList.remove('dragover');
      var files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length) {
        try {
          input.files = files;
        } catch (e) {
          // Older browsers cannot set a file input; the check runs anyway.
        }
        checkFile(files[0]);
      }
    });
    // A file dropped beside the zone must not make the browser open it.
    window.addEventListener('dragover', function (event) {
      event.preventDefault();
    });
    window.addEventListener('drop', function (event) {
      event.preventDefault();
    });
  }
})();
