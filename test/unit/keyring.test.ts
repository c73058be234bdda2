/** The master keyring and where its keys come from. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  formatKeyFile,
  generateMasterKey,
  Keyring,
  KeyringError,
  masterKeyId,
  parseKeyList,
} from "../../src/crypto/keyring.js";
import { defaultKeyFile, masterKeySource } from "../../src/crypto/master-key.js";

const SECRET = "correct horse battery staple";

describe("Keyring", () => {
  it("seals with AES-256-GCM under the primary key and opens with the same identity", () => {
    const k = new Keyring([generateMasterKey()]);
    const sealed = k.seal(SECRET, "us-east-1/ssm/a#1");
    assert.equal(sealed.kid, k.primaryId);
    assert.equal(Buffer.from(sealed.n, "base64").length, 12);
    assert.ok(!JSON.stringify(sealed).includes(SECRET));
    assert.equal(k.openString(sealed, "us-east-1/ssm/a#1"), SECRET);
  });

  it("uses a fresh nonce every time, so equal values seal differently", () => {
    const k = new Keyring([generateMasterKey()]);
    const a = k.seal(SECRET, "x");
    const b = k.seal(SECRET, "x");
    assert.notEqual(a.n, b.n);
    assert.notEqual(a.c, b.c);
  });

  it("refuses a value moved to another identity, or altered", () => {
    const k = new Keyring([generateMasterKey()]);
    const sealed = k.seal(SECRET, "us-east-1/ssm/a#1");
    assert.throws(() => k.open(sealed, "us-east-1/ssm/b#1"), KeyringError);
    const body = Buffer.from(sealed.c, "base64");
    body[0] = body[0]! ^ 1;
    assert.throws(
      () => k.open({ ...sealed, c: body.toString("base64") }, "us-east-1/ssm/a#1"),
      /failed authentication/,
    );
  });

  it("after rotation the new key seals and the old one still opens what it sealed", () => {
    const oldKey = generateMasterKey();
    const before = new Keyring([oldKey]).seal(SECRET, "id");
    const rotated = new Keyring([generateMasterKey(), oldKey]);
    assert.equal(rotated.openString(before, "id"), SECRET);
    assert.ok(rotated.isStale(before));
    const after = rotated.seal(SECRET, "id");
    assert.equal(after.kid, rotated.primaryId);
    assert.ok(!rotated.isStale(after));
    assert.deepEqual(rotated.ids(), [rotated.primaryId, masterKeyId(oldKey)]);
  });

  it("names the missing key, never the value, when a key is gone", () => {
    const sealed = new Keyring([generateMasterKey()]).seal(SECRET, "id");
    const other = new Keyring([generateMasterKey()]);
    assert.throws(
      () => other.open(sealed, "id"),
      (err: Error) => err.message.includes(sealed.kid) && !err.message.includes(SECRET),
    );
  });

  it("parses key lists: base64, newline or comma separated, comments ignored, 32 bytes each", () => {
    const a = generateMasterKey();
    const b = generateMasterKey();
    assert.deepEqual(parseKeyList(formatKeyFile([a, b]), "f"), [a, b]);
    assert.deepEqual(parseKeyList(`${a.toString("base64")},${b.toString("base64")}`, "env"), [a, b]);
    assert.throws(() => parseKeyList("", "env"), /no key found/);
    assert.throws(() => parseKeyList("not base64!", "env"), /not base64/);
    assert.throws(() => parseKeyList(Buffer.alloc(16).toString("base64"), "env"), /16 bytes/);
  });
});

describe("masterKeySource", () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), "berth-keyring-"));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("creates <data-dir>/master.key with mode 0600 on first use, not before", () => {
    const dir = tmp();
    const source = masterKeySource({ dataDir: dir });
    assert.throws(() => statSync(defaultKeyFile(dir)));
    const k = source.get();
    const st = statSync(defaultKeyFile(dir));
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(masterKeySource({ dataDir: dir }).get().primaryId, k.primaryId, "the file is reused");
  });

  it("prefers BERTH_MASTER_KEY and checks it eagerly", () => {
    const key = generateMasterKey();
    const k = masterKeySource({ dataDir: tmp(), masterKey: key.toString("base64") }).get();
    assert.equal(k.primaryId, masterKeyId(key));
    assert.throws(() => masterKeySource({ dataDir: tmp(), masterKey: "short" }), KeyringError);
  });

  it("reads BERTH_MASTER_KEY_FILE and refuses to invent one that is missing", () => {
    const dir = tmp();
    const file = join(dir, "keys");
    assert.throws(() => masterKeySource({ dataDir: dir, masterKeyFile: file }).get(), /does not exist/);
    const key = generateMasterKey();
    writeFileSync(file, formatKeyFile([key]), { mode: 0o600 });
    assert.equal(masterKeySource({ dataDir: dir, masterKeyFile: file }).get().primaryId, masterKeyId(key));
    assert.ok(readFileSync(file, "utf8").startsWith("#"));
  });

  it("warns when the key file is readable by others", () => {
    const dir = tmp();
    const file = join(dir, "keys");
    writeFileSync(file, formatKeyFile([generateMasterKey()]), { mode: 0o644 });
    const warnings: string[] = [];
    masterKeySource({ dataDir: dir, masterKeyFile: file, warn: (m) => warnings.push(m) }).get();
    assert.equal(warnings.length, 1);
  });
});
