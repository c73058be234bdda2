/**
 * ECS account settings through the AWS SDK against a real in-process Berth. Settings are per region,
 * so each group works in a region of its own.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DeleteAccountSettingCommand,
  type ECSClient,
  ListAccountSettingsCommand,
  type ListAccountSettingsCommandInput,
  PutAccountSettingCommand,
  PutAccountSettingDefaultCommand,
  paginateListAccountSettings,
  type Setting,
  type SettingName,
} from "@aws-sdk/client-ecs";
import { startBerth, type TestBerth } from "../helpers/berth.js";

const ROOT = "arn:aws:iam::000000000000:root";
const USER = "arn:aws:iam::000000000000:user/alice";

/** Every setting with AWS's default, in name order (what effectiveSettings lists on a fresh account). */
const DEFAULTS: [string, string][] = [
  ["awsvpcTrunking", "disabled"],
  ["containerInsights", "disabled"],
  ["containerInstanceLongArnFormat", "enabled"],
  ["defaultLogDriverMode", "non-blocking"],
  ["dualStackIPv6", "disabled"],
  ["fargateEventWindows", "disabled"],
  ["fargateFIPSMode", "disabled"],
  ["fargateTaskRetirementWaitPeriod", "7"],
  ["guardDutyActivate", "off"],
  ["serviceLongArnFormat", "enabled"],
  ["tagResourceAuthorization", "on"],
  ["taskLongArnFormat", "enabled"],
];

async function rejectsWith(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    assert.equal(e.$metadata?.httpStatusCode, 400);
    if (typeof message === "string") assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

const asName = (n: string) => n as SettingName;

describe("ECS account settings", () => {
  let t: TestBerth;
  before(async () => {
    t = await startBerth();
  });
  after(async () => {
    await t.close();
  });

  const put = (ecs: ECSClient, name: string, value: string, principalArn?: string) =>
    ecs
      .send(
        new PutAccountSettingCommand({
          name: asName(name),
          value,
          ...(principalArn ? { principalArn } : {}),
        }),
      )
      .then((r) => r.setting!);
  const list = async (ecs: ECSClient, input: ListAccountSettingsCommandInput = {}) =>
    ecs.send(new ListAccountSettingsCommand(input));
  const pairs = (settings: Setting[] | undefined) => (settings ?? []).map((s) => [s.name, s.value]);

  describe("PutAccountSetting", () => {
    let ecs: ECSClient;
    before(() => {
      ecs = t.ecs({ region: "us-east-2" });
    });

    it("sets a setting for the caller and returns it", async () => {
      assert.deepEqual(await put(ecs, "containerInsights", "enhanced"), {
        name: "containerInsights",
        value: "enhanced",
        principalArn: ROOT,
        type: "user",
      });
      assert.deepEqual(pairs((await list(ecs)).settings), [["containerInsights", "enhanced"]]);
    });

    it("accepts each setting's documented values", async () => {
      for (const [name, value] of [
        ["awsvpcTrunking", "enabled"],
        ["containerInsights", "enabled"],
        ["containerInsights", "disabled"],
        ["dualStackIPv6", "enabled"],
        ["fargateFIPSMode", "enabled"],
        ["tagResourceAuthorization", "off"],
        ["tagResourceAuthorization", "on"],
        ["fargateTaskRetirementWaitPeriod", "0"],
        ["fargateTaskRetirementWaitPeriod", "14"],
        ["defaultLogDriverMode", "blocking"],
        ["fargateEventWindows", "enabled"],
        ["serviceLongArnFormat", "enabled"],
        ["taskLongArnFormat", "enabled"],
        ["containerInstanceLongArnFormat", "enabled"],
      ] as const) {
        assert.equal((await put(ecs, name, value)).value, value, `${name}=${value}`);
      }
    });

    it("refuses any other value with \"Invalid setting 'value'\"", async () => {
      for (const [name, value] of [
        ["taskLongArnFormat", "ENABLED"],
        ["containerInsights", "on"],
        ["tagResourceAuthorization", "enabled"],
        ["tagResourceAuthorization", "disabled"],
        ["fargateTaskRetirementWaitPeriod", "3"],
        ["defaultLogDriverMode", "nonblocking"],
        ["awsvpcTrunking", ""],
      ] as const) {
        await rejectsWith(put(ecs, name, value), "InvalidParameterException", "Invalid setting 'value'");
      }
    });

    it("refuses to disable the long ARN formats", async () => {
      for (const name of ["serviceLongArnFormat", "taskLongArnFormat", "containerInstanceLongArnFormat"]) {
        await rejectsWith(
          put(ecs, name, "disabled"),
          "InvalidParameterException",
          "You can no longer disable Long Arn settings",
        );
      }
    });

    it("refuses an unknown name, listing the valid ones", async () => {
      await rejectsWith(
        put(ecs, "containerLongArnFormat", "enabled"),
        "InvalidParameterException",
        /^containerLongArnFormat should be one of \[serviceLongArnFormat,.*dualStackIPv6.*\]$/,
      );
    });

    it("refuses names that are JavaScript prototype keys like any unknown name, not with a 500", async () => {
      for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
        const message = new RegExp(`^${name} should be one of \\[serviceLongArnFormat,`);
        await rejectsWith(put(ecs, name, "x"), "InvalidParameterException", message);
        await rejectsWith(
          ecs.send(new PutAccountSettingDefaultCommand({ name: asName(name), value: "x" })),
          "InvalidParameterException",
          message,
        );
        await rejectsWith(list(ecs, { name: asName(name) }), "InvalidParameterException", message);
        await rejectsWith(
          ecs.send(new DeleteAccountSettingCommand({ name: asName(name) })),
          "InvalidParameterException",
          message,
        );
      }
    });

    it("refuses to change guardDutyActivate, which AWS manages", async () => {
      await rejectsWith(put(ecs, "guardDutyActivate", "on"), "InvalidParameterException");
    });

    it("lets root set a setting for another principal", async () => {
      const s = await put(ecs, "awsvpcTrunking", "enabled", USER);
      assert.equal(s.principalArn, USER);
      assert.deepEqual(pairs((await list(ecs, { principalArn: USER })).settings), [
        ["awsvpcTrunking", "enabled"],
      ]);
      await rejectsWith(put(ecs, "awsvpcTrunking", "enabled", "not-an-arn"), "InvalidParameterException");
    });
  });

  describe("PutAccountSettingDefault", () => {
    let ecs: ECSClient;
    before(() => {
      ecs = t.ecs({ region: "us-west-2" });
    });

    it("sets the account default, reported as the root principal's", async () => {
      const out = await ecs.send(
        new PutAccountSettingDefaultCommand({ name: "fargateTaskRetirementWaitPeriod", value: "14" }),
      );
      assert.deepEqual(out.setting, {
        name: "fargateTaskRetirementWaitPeriod",
        value: "14",
        principalArn: ROOT,
        type: "user",
      });
    });

    it("is what other principals get until they set their own", async () => {
      await ecs.send(new PutAccountSettingDefaultCommand({ name: "containerInsights", value: "enabled" }));
      const effective = await list(ecs, {
        principalArn: USER,
        effectiveSettings: true,
        name: "containerInsights",
      });
      assert.deepEqual(effective.settings, [
        { name: "containerInsights", value: "enabled", principalArn: ROOT, type: "user" },
      ]);
      await put(ecs, "containerInsights", "disabled", USER);
      const own = await list(ecs, { principalArn: USER, effectiveSettings: true, name: "containerInsights" });
      assert.deepEqual(own.settings, [
        { name: "containerInsights", value: "disabled", principalArn: USER, type: "user" },
      ]);
    });

    it("applies the same value rules", async () => {
      await rejectsWith(
        ecs.send(new PutAccountSettingDefaultCommand({ name: "tagResourceAuthorization", value: "enabled" })),
        "InvalidParameterException",
        "Invalid setting 'value'",
      );
      await rejectsWith(
        ecs.send(new PutAccountSettingDefaultCommand({ name: "taskLongArnFormat", value: "disabled" })),
        "InvalidParameterException",
        "You can no longer disable Long Arn settings",
      );
    });
  });

  describe("ListAccountSettings", () => {
    let ecs: ECSClient;
    before(async () => {
      ecs = t.ecs({ region: "eu-west-2" });
      await put(ecs, "containerInsights", "enhanced");
      await put(ecs, "tagResourceAuthorization", "off");
    });

    it("lists only the settings the principal has set, without effectiveSettings", async () => {
      const out = await list(ecs);
      assert.deepEqual(pairs(out.settings), [
        ["containerInsights", "enhanced"],
        ["tagResourceAuthorization", "off"],
      ]);
      assert.equal(out.nextToken, undefined);
      assert.ok(out.settings?.every((s) => s.principalArn === ROOT && s.type === "user"));
    });

    it("lists every setting with effectiveSettings, AWS's defaults where none is set", async () => {
      const all: Setting[] = [];
      for await (const page of paginateListAccountSettings({ client: ecs }, { effectiveSettings: true })) {
        all.push(...(page.settings ?? []));
      }
      const expected = DEFAULTS.map(([n, v]) =>
        n === "containerInsights" ? [n, "enhanced"] : n === "tagResourceAuthorization" ? [n, "off"] : [n, v],
      );
      assert.deepEqual(pairs(all), expected);
      assert.equal(all.find((s) => s.name === "guardDutyActivate")?.type, "aws_managed");
    });

    it("shows AWS's defaults for a region where nothing is set", async () => {
      const fresh = t.ecs({ region: "ap-east-1" });
      const all: Setting[] = [];
      for await (const page of paginateListAccountSettings({ client: fresh }, { effectiveSettings: true })) {
        all.push(...(page.settings ?? []));
      }
      assert.deepEqual(pairs(all), DEFAULTS);
      assert.deepEqual((await list(fresh)).settings, []);
    });

    it("filters by name, and by name and value", async () => {
      assert.deepEqual(pairs((await list(ecs, { name: "containerInsights" })).settings), [
        ["containerInsights", "enhanced"],
      ]);
      assert.deepEqual(pairs((await list(ecs, { name: "containerInsights", value: "enhanced" })).settings), [
        ["containerInsights", "enhanced"],
      ]);
      assert.deepEqual((await list(ecs, { name: "containerInsights", value: "disabled" })).settings, []);
      assert.deepEqual(
        pairs((await list(ecs, { name: "taskLongArnFormat", effectiveSettings: true })).settings),
        [["taskLongArnFormat", "enabled"]],
      );
      await rejectsWith(list(ecs, { value: "enhanced" }), "InvalidParameterException");
      await rejectsWith(list(ecs, { name: asName("nope") }), "InvalidParameterException");
    });

    it("pages 10 at a time by default, and 1 to 10 with maxResults", async () => {
      const first = await list(ecs, { effectiveSettings: true });
      assert.equal(first.settings?.length, 10);
      assert.ok(first.nextToken);
      const second = await list(ecs, { effectiveSettings: true, nextToken: first.nextToken });
      assert.equal(second.settings?.length, 2);
      assert.equal(second.nextToken, undefined);

      const names: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await list(ecs, {
          effectiveSettings: true,
          maxResults: 1,
          ...(nextToken ? { nextToken } : {}),
        });
        assert.equal(page.settings?.length, 1);
        names.push(page.settings![0]!.name!);
        nextToken = page.nextToken;
        pages++;
      } while (nextToken);
      assert.equal(pages, 12);
      assert.deepEqual(
        names,
        DEFAULTS.map(([n]) => n),
      );
    });

    it("refuses maxResults outside 1-10 and tokens it did not issue", async () => {
      for (const maxResults of [0, 11, 100]) {
        await rejectsWith(
          list(ecs, { maxResults }),
          "InvalidParameterException",
          "maxResults must be between 1 and 10.",
        );
      }
      await rejectsWith(list(ecs, { nextToken: "not-a-token" }), "InvalidParameterException");
    });
  });

  describe("DeleteAccountSetting", () => {
    let ecs: ECSClient;
    before(() => {
      ecs = t.ecs({ region: "me-south-1" });
    });

    it("removes the setting and returns what it was; the default applies again", async () => {
      await put(ecs, "containerInsights", "enabled");
      const out = await ecs.send(new DeleteAccountSettingCommand({ name: "containerInsights" }));
      assert.deepEqual(out.setting, {
        name: "containerInsights",
        value: "enabled",
        principalArn: ROOT,
        type: "user",
      });
      assert.deepEqual((await list(ecs)).settings, []);
      const effective = await list(ecs, { effectiveSettings: true, name: "containerInsights" });
      assert.deepEqual(pairs(effective.settings), [["containerInsights", "disabled"]]);
    });

    it("removes another principal's setting when root names it", async () => {
      await put(ecs, "fargateFIPSMode", "enabled", USER);
      const out = await ecs.send(
        new DeleteAccountSettingCommand({ name: "fargateFIPSMode", principalArn: USER }),
      );
      assert.equal(out.setting?.principalArn, USER);
      assert.deepEqual((await list(ecs, { principalArn: USER })).settings, []);
    });

    it("refuses a setting that is not set, or a name that is not one", async () => {
      await rejectsWith(
        ecs.send(new DeleteAccountSettingCommand({ name: "awsvpcTrunking" })),
        "InvalidParameterException",
      );
      await rejectsWith(
        ecs.send(new DeleteAccountSettingCommand({ name: asName("nope") })),
        "InvalidParameterException",
      );
    });
  });

  it("keeps each region's settings apart", async () => {
    const a = t.ecs({ region: "af-south-1" });
    const b = t.ecs({ region: "il-central-1" });
    await put(a, "awsvpcTrunking", "enabled");
    assert.deepEqual(pairs((await list(a)).settings), [["awsvpcTrunking", "enabled"]]);
    assert.deepEqual((await list(b)).settings, []);
  });
});
