/**
 * The JSON-protocol codec against real ECS (and IAM) operation shapes from the SDK's model.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AwsError, type ErrorDef, Errors } from "../../src/errors/catalog.js";
import { FLOAT_MEMBERS } from "../../src/protocol/float-members.js";
import { type DecodeOptions, decodeJsonInput, encodeJsonOutput } from "../../src/protocol/json-codec.js";
import { ServiceModel, type Shape, type StructShape, shapeOf } from "../../src/protocol/model.js";

const ecs = new ServiceModel(await import("@aws-sdk/client-ecs"));
const iam = new ServiceModel(await import("@aws-sdk/client-iam"));

const op = (model: ServiceModel, name: string) => {
  const o = model.operations.get(name);
  assert.ok(o, name);
  return o;
};
const ecsIn = (name: string) => op(ecs, name).input;
const ecsOut = (name: string) => op(ecs, name).output;

const opts: DecodeOptions = { validationError: Errors.InvalidParameter };
const ecsOpts: DecodeOptions = {
  validationError: Errors.InvalidParameter,
  missingMessage: (m) => `${m[0]!.toUpperCase()}${m.slice(1)} should not be null or empty.`,
};

function throwsAws(fn: () => unknown, def: ErrorDef, message?: RegExp | string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AwsError, `expected an AwsError, got ${String(err)}`);
    assert.equal(err.def.code, def.code, `expected ${def.code}, got ${err.def.code}: ${err.message}`);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

const container = (extra: Record<string, unknown> = {}) => ({ name: "web", image: "nginx", ...extra });
const register = (extra: Record<string, unknown> = {}, c: Record<string, unknown> = {}) => ({
  family: "web",
  containerDefinitions: [container(c)],
  ...extra,
});
const decodeRegister = (body: unknown, o: DecodeOptions = opts) =>
  decodeJsonInput(ecsIn("RegisterTaskDefinition"), body, o);

describe("decodeJsonInput", () => {
  it("decodes a valid RegisterTaskDefinition request as given", () => {
    const body = register(
      {
        cpu: "256",
        memory: "512",
        requiresCompatibilities: ["FARGATE"],
        tags: [{ key: "team", value: "web" }],
        volumes: [{ name: "data", dockerVolumeConfiguration: { driverOpts: { type: "tmpfs" } } }],
      },
      {
        cpu: 128,
        essential: true,
        portMappings: [{ containerPort: 80, protocol: "tcp" }],
        dockerLabels: { "com.example": "x" },
        environment: [{ name: "A", value: "1" }],
        healthCheck: { command: ["CMD", "true"], interval: 30 },
      },
    );
    assert.deepEqual(decodeRegister(structuredClone(body)), body);
  });

  it("treats an absent or null body as {}", () => {
    assert.deepEqual(decodeJsonInput(ecsIn("ListClusters"), undefined, opts), {});
    assert.deepEqual(decodeJsonInput(ecsIn("ListClusters"), null, opts), {});
  });

  describe("type mismatches are SerializationException", () => {
    const cases: [string, unknown, RegExp][] = [
      ["a body that is an array", [], /Expected a JSON object/],
      ["a body that is a string", "x", /Expected a JSON object/],
      ["a body that is a number", 5, /Expected a JSON object/],
      ["a number where a string is expected", register({ family: 5 }), /family/],
      ["a boolean where a string is expected", register({ cpu: true }), /cpu/],
      ["an object where a list is expected", register({ containerDefinitions: {} }), /containerDefinitions/],
      [
        "a string where a list is expected",
        register({ requiresCompatibilities: "FARGATE" }),
        /requiresCompatibilities/,
      ],
      ["a string where a number is expected", register({}, { cpu: "256" }), /containerDefinitions\[0\]\.cpu/],
      ["a string where a boolean is expected", register({}, { essential: "true" }), /essential/],
      ["a number where a boolean is expected", register({}, { essential: 1 }), /essential/],
      ["a list where a map is expected", register({}, { dockerLabels: [] }), /dockerLabels/],
      ["a number as a map value", register({}, { dockerLabels: { a: 1 } }), /dockerLabels\.a/],
      ["a string where a structure is expected", register({}, { healthCheck: "CMD true" }), /healthCheck/],
      ["a list where a structure is expected", register({}, { healthCheck: [] }), /healthCheck/],
      ["a number as a list element", register({}, { portMappings: [80] }), /portMappings\[0\]/],
      [
        "a number in a list of strings",
        register({ requiresCompatibilities: [1] }),
        /requiresCompatibilities\[0\]/,
      ],
      [
        "a wrong type in the third container",
        {
          family: "web",
          containerDefinitions: [container(), container({ name: "b" }), { name: 3, image: "x" }],
        },
        /containerDefinitions\[2\]\.name/,
      ],
    ];
    for (const [what, body, path] of cases) {
      it(what, () => {
        throwsAws(() => decodeRegister(body), Errors.Serialization, path);
      });
    }

    it("a string where an integer is expected in ListClusters", () => {
      throwsAws(
        () => decodeJsonInput(ecsIn("ListClusters"), { maxResults: "5" }, opts),
        Errors.Serialization,
        /maxResults/,
      );
    });
  });

  describe("numbers: integers and longs are whole; floats and doubles take fractions", () => {
    const listClusters = (maxResults: unknown) =>
      decodeJsonInput(ecsIn("ListClusters"), { maxResults }, opts);

    it("an integer member refuses a fraction or a value beyond a long", () => {
      for (const bad of [1.5, 0.1, -2.25, 1e21, -1e300, 2 ** 63]) {
        throwsAws(
          () => listClusters(bad),
          Errors.Serialization,
          `Invalid type for parameter maxResults, value: ${JSON.stringify(bad)}, type: number, valid types: <class 'int'>`,
        );
      }
      throwsAws(
        () => decodeRegister(register({}, { memory: 512.5 })),
        Errors.Serialization,
        /containerDefinitions\[0\]\.memory/,
      );
    });

    it("an integer member takes any whole number within a long", () => {
      for (const good of [0, 5, -3, 100.0, 2 ** 53, -(2 ** 62)]) {
        assert.deepEqual(listClusters(good), { maxResults: good });
      }
    });

    it("a double member takes a fraction", () => {
      const body = {
        service: "web",
        deploymentConfiguration: {
          canaryConfiguration: { canaryPercent: 12.5, canaryBakeTimeInMinutes: 5 },
          linearConfiguration: { stepPercent: 33.3 },
        },
      };
      assert.deepEqual(decodeJsonInput(ecsIn("UpdateService"), body, opts), body);
      throwsAws(
        () =>
          decodeJsonInput(
            ecsIn("UpdateService"),
            {
              service: "web",
              deploymentConfiguration: { canaryConfiguration: { canaryBakeTimeInMinutes: 0.5 } },
            },
            opts,
          ),
        Errors.Serialization,
        /canaryBakeTimeInMinutes/,
      );
    });

    it("every listed float member is a number member of its service's model", async () => {
      const models = [ecs, new ServiceModel(await import("@aws-sdk/client-cloudwatch-logs"))];
      const numbers = new Set<string>();
      const seen = new Set<Shape>();
      const walk = (shape: Shape): void => {
        if (seen.has(shape)) return;
        seen.add(shape);
        if (shape.kind === "list") walk(shape.member.shape);
        else if (shape.kind === "map") walk(shape.value.shape);
        else if (shape.kind === "structure" || shape.kind === "union") {
          for (const [name, m] of shape.members) {
            if (m.shape.kind === "number") numbers.add(`${shape.name}.${name}`);
            walk(m.shape);
          }
        }
      };
      for (const model of models) for (const o of model.operations.values()) walk(o.input);
      for (const member of FLOAT_MEMBERS) assert.ok(numbers.has(member), `${member} is not a number member`);
    });
  });

  it("a map keeps every key as an entry, JavaScript prototype names included", () => {
    const labels = JSON.parse('{"__proto__":"p","constructor":"c","toString":"t","a":"1"}') as object;
    const out = decodeRegister(register({}, { dockerLabels: labels }));
    const decoded = (out.containerDefinitions as { dockerLabels: Record<string, string> }[])[0]!.dockerLabels;
    assert.deepEqual(Object.entries(decoded), [
      ["__proto__", "p"],
      ["constructor", "c"],
      ["toString", "t"],
      ["a", "1"],
    ]);
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.equal(JSON.stringify(decoded), '{"__proto__":"p","constructor":"c","toString":"t","a":"1"}');
  });

  describe("missing required members are the service's validation error", () => {
    it("at the top level, in botocore's wording by default", () => {
      throwsAws(
        () => decodeRegister({ family: "web" }),
        Errors.InvalidParameter,
        'Missing required parameter in input: "containerDefinitions"',
      );
    });

    it("in the service's own wording when it has one", () => {
      throwsAws(
        () => decodeRegister({ containerDefinitions: [container()] }, ecsOpts),
        Errors.InvalidParameter,
        "Family should not be null or empty.",
      );
      throwsAws(
        () => decodeJsonInput(ecsIn("DeleteCluster"), {}, ecsOpts),
        Errors.InvalidParameter,
        "Cluster should not be null or empty.",
      );
    });

    it("inside nested structures, with the path", () => {
      throwsAws(
        () => decodeRegister(register({}, { healthCheck: { interval: 5 } })),
        Errors.InvalidParameter,
        'Missing required parameter in containerDefinitions[0].healthCheck: "command"',
      );
      const seen: [string, string][] = [];
      assert.throws(() =>
        decodeRegister(register({}, { healthCheck: {} }), {
          validationError: Errors.InvalidParameter,
          missingMessage: (m, p) => {
            seen.push([m, p]);
            return "missing";
          },
        }),
      );
      assert.deepEqual(seen, [["command", "containerDefinitions[0].healthCheck"]]);
    });

    it("uses the error the caller names (STS/IAM use ValidationError)", () => {
      throwsAws(
        () =>
          decodeJsonInput(op(iam, "GetUser").input, { UserName: 5 }, { validationError: Errors.Validation }),
        Errors.Serialization,
      );
      throwsAws(
        () => decodeJsonInput(op(iam, "CreateUser").input, {}, { validationError: Errors.Validation }),
        Errors.Validation,
        /UserName/,
      );
    });
  });

  describe("unknown members are the service's validation error", () => {
    it("at the top level, naming the member and the valid ones", () => {
      throwsAws(
        () => decodeJsonInput(ecsIn("ListClusters"), { maxResults: 5, pageSize: 5 }, opts),
        Errors.InvalidParameter,
        'Unknown parameter in input: "pageSize", must be one of: nextToken, maxResults',
      );
    });

    it("inside nested structures, with the path", () => {
      throwsAws(
        () => decodeRegister(register({}, { imageName: "x" })),
        Errors.InvalidParameter,
        /Unknown parameter in containerDefinitions\[0\]: "imageName"/,
      );
    });

    it("even when the unknown member is null", () => {
      throwsAws(() => decodeRegister(register({ bogus: null })), Errors.InvalidParameter, /bogus/);
    });
  });

  describe("null is treated as absent", () => {
    it("an optional member that is null is dropped", () => {
      const out = decodeRegister(register({ cpu: null, tags: null }, { essential: null }));
      assert.equal("cpu" in out, false);
      assert.equal("tags" in out, false);
      const c = (out.containerDefinitions as Record<string, unknown>[])[0]!;
      assert.equal("essential" in c, false);
    });

    it("a required member that is null is missing", () => {
      throwsAws(
        () => decodeRegister({ family: null, containerDefinitions: [container()] }, ecsOpts),
        Errors.InvalidParameter,
        "Family should not be null or empty.",
      );
    });

    it("a map value that is null is dropped", () => {
      const out = decodeRegister(register({}, { dockerLabels: { a: "1", b: null } }));
      const c = (out.containerDefinitions as Record<string, unknown>[])[0]!;
      assert.deepEqual(c.dockerLabels, { a: "1" });
    });
  });

  describe("timestamps", () => {
    const sub = () => ecsIn("SubmitTaskStateChange");
    it("epoch seconds, with fractions, become Dates", () => {
      const out = decodeJsonInput(sub(), { pullStartedAt: 1700000000.5, pullStoppedAt: 1700000001 }, opts);
      assert.ok(out.pullStartedAt instanceof Date);
      assert.equal((out.pullStartedAt as Date).getTime(), 1700000000500);
      assert.equal((out.pullStoppedAt as Date).getTime(), 1700000001000);
    });

    it("ISO-8601 date-time strings become Dates", () => {
      const out = decodeJsonInput(sub(), { pullStartedAt: "2024-01-02T03:04:05Z" }, opts);
      assert.equal((out.pullStartedAt as Date).toISOString(), "2024-01-02T03:04:05.000Z");
    });

    it("numeric strings are epoch seconds", () => {
      const out = decodeJsonInput(sub(), { pullStartedAt: "1700000000" }, opts);
      assert.equal((out.pullStartedAt as Date).getTime(), 1700000000000);
    });

    for (const bad of ["yesterday", "March 7", "2024-01-02", "", true, {}, []]) {
      it(`${JSON.stringify(bad)} is a SerializationException`, () => {
        throwsAws(
          () => decodeJsonInput(sub(), { pullStartedAt: bad }, opts),
          Errors.Serialization,
          /pullStartedAt/,
        );
      });
    }
  });

  describe("blobs (base64)", () => {
    const shape = shapeOf([3, "test", "BlobInput", 0, ["data"], [21]]) as StructShape;
    it("base64 becomes bytes", () => {
      const out = decodeJsonInput(shape, { data: Buffer.from("héllo\u0000").toString("base64") }, opts);
      assert.ok(Buffer.isBuffer(out.data));
      assert.equal((out.data as Buffer).toString(), "héllo\u0000");
    });
    for (const bad of ["not base64!", 5, ["aGk="]]) {
      it(`${JSON.stringify(bad)} is a SerializationException`, () => {
        throwsAws(() => decodeJsonInput(shape, { data: bad }, opts), Errors.Serialization, /data/);
      });
    }
  });

  describe("unions", () => {
    const union = (value: unknown) =>
      decodeRegister(
        register({}, { resourceRequirements: [{ type: "GPU", value: "1", sharingStrategy: value }] }),
      );
    it("accept exactly one member", () => {
      union({ nvidiaMps: { memory: 1024 } });
    });
    it("refuse none", () => {
      throwsAws(() => union({}), Errors.InvalidParameter, /exactly one/);
    });
  });

  it("documents are passed through as given", () => {
    const shape = shapeOf([3, "test", "DocInput", 0, ["doc"], [15]]) as StructShape;
    const doc = { a: [1, "two", null, { b: true }] };
    assert.deepEqual(decodeJsonInput(shape, { doc }, opts), { doc });
  });
});

describe("encodeJsonOutput", () => {
  const describeClusters = () => ecsOut("DescribeClusters");

  it("emits members in model order, whatever order the handler used", () => {
    const out = encodeJsonOutput(
      describeClusters(),
      {
        failures: [{ reason: "MISSING", arn: "arn:aws:ecs:us-east-1:000000000000:cluster/x" }],
        clusters: [
          {
            tags: [],
            status: "ACTIVE",
            clusterName: "a",
            activeServicesCount: 0,
            clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/a",
          },
        ],
      },
      { strict: true },
    );
    assert.equal(
      JSON.stringify(out),
      '{"clusters":[{"clusterArn":"arn:aws:ecs:us-east-1:000000000000:cluster/a","clusterName":"a","status":"ACTIVE","activeServicesCount":0,"tags":[]}],"failures":[{"arn":"arn:aws:ecs:us-east-1:000000000000:cluster/x","reason":"MISSING"}]}',
    );
  });

  it("renders timestamps as epoch seconds, from a Date or from epoch milliseconds", () => {
    const out = encodeJsonOutput(
      ecsOut("DescribeTaskDefinition"),
      { taskDefinition: { registeredAt: new Date(1700000000123), deregisteredAt: 1700000001000 } },
      { strict: true },
    );
    assert.deepEqual(out, { taskDefinition: { registeredAt: 1700000000.123, deregisteredAt: 1700000001 } });
  });

  it("renders blobs as base64 and maps as objects", () => {
    const report = encodeJsonOutput(
      op(iam, "GetCredentialReport").output,
      { Content: Buffer.from("user,arn\n"), ReportFormat: "text/csv", GeneratedTime: new Date(0) },
      { strict: true },
    );
    assert.deepEqual(report, { Content: "dXNlcixhcm4K", ReportFormat: "text/csv", GeneratedTime: 0 });
    const summary = encodeJsonOutput(
      op(iam, "GetAccountSummary").output,
      { SummaryMap: { Users: 2, Groups: 0 } },
      { strict: true },
    );
    assert.deepEqual(summary, { SummaryMap: { Users: 2, Groups: 0 } });
  });

  it("leaves out undefined and null members but keeps false, 0 and empty strings and lists", () => {
    const out = encodeJsonOutput(
      ecsOut("ListClusters"),
      { clusterArns: [], nextToken: undefined },
      { strict: true },
    );
    assert.deepEqual(out, { clusterArns: [] });
    const cluster = encodeJsonOutput(
      describeClusters(),
      {
        clusters: [
          { clusterName: "", runningTasksCount: 0, configuration: null, attachmentsStatus: undefined },
        ],
      },
      { strict: true },
    );
    assert.deepEqual(cluster, { clusters: [{ clusterName: "", runningTasksCount: 0 }] });
  });

  it("renders every key of a map, __proto__ included", () => {
    const labels = JSON.parse('{"__proto__":"p","a":"1"}') as Record<string, string>;
    const out = encodeJsonOutput(
      ecsOut("DescribeTaskDefinition"),
      { taskDefinition: { containerDefinitions: [{ name: "a", dockerLabels: labels }] } },
      { strict: true },
    );
    assert.equal(
      JSON.stringify(out),
      '{"taskDefinition":{"containerDefinitions":[{"name":"a","dockerLabels":{"__proto__":"p","a":"1"}}]}}',
    );
  });

  it("renders an absent output as {}", () => {
    assert.deepEqual(encodeJsonOutput(ecsOut("TagResource"), undefined, { strict: true }), {});
    assert.deepEqual(encodeJsonOutput(ecsOut("TagResource"), {}, { strict: true }), {});
  });

  it("strict mode throws on a member the model does not know, naming it", () => {
    assert.throws(
      () =>
        encodeJsonOutput(
          describeClusters(),
          { clusters: [{ clusterName: "a", clustername: "b" }] },
          { strict: true },
        ),
      /"clustername" is not in the model of Cluster/,
    );
    assert.throws(() => encodeJsonOutput(ecsOut("ListClusters"), { arns: [] }, { strict: true }), /"arns"/);
  });

  it("lenient mode drops a member the model does not know", () => {
    const out = encodeJsonOutput(
      describeClusters(),
      { clusters: [{ clusterName: "a", internal: 1 }] },
      { strict: false },
    );
    assert.deepEqual(out, { clusters: [{ clusterName: "a" }] });
  });

  it("throws on a timestamp that is neither a Date nor a number", () => {
    assert.throws(
      () =>
        encodeJsonOutput(
          ecsOut("DescribeTaskDefinition"),
          { taskDefinition: { registeredAt: "now" } },
          { strict: true },
        ),
      /registeredAt/,
    );
  });
});
