/**
 * The Query-protocol codec against real STS and IAM operation shapes. Request forms are produced by
 * the AWS SDK's own Query serializer wherever possible, and rendered XML is read back with the SDK's
 * own XML deserializer, so both directions are checked against what real clients do.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QueryShapeSerializer, XmlShapeDeserializer } from "@aws-sdk/core/protocols";
import { XMLParser } from "fast-xml-parser";
import { AwsError, type ErrorDef, Errors } from "../../src/errors/catalog.js";
import { ServiceModel, type StructShape, shapeOf } from "../../src/protocol/model.js";
import { decodeQueryInput, renderQueryError, renderQueryResponse } from "../../src/protocol/query-codec.js";

const stsSdk = await import("@aws-sdk/client-sts");
const iamSdk = await import("@aws-sdk/client-iam");
const sts = new ServiceModel(stsSdk);
const iam = new ServiceModel(iamSdk);

const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/";
const IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/";
const REQUEST_ID = "c6104cbe-af31-11e0-8154-cbc7ccf896c7";

const op = (model: ServiceModel, name: string) => {
  const o = model.operations.get(name);
  assert.ok(o, name);
  return o;
};

const settings = {
  timestampFormat: { useTrait: true, default: 5 as const },
  httpBindings: false,
  serializeEmptyLists: true,
};

/** The form body the AWS SDK for JavaScript sends for `input` (without Action and Version). */
function sdkForm(schema: unknown, input: Record<string, unknown>): Map<string, string> {
  const s = new QueryShapeSerializer(settings);
  s.write(schema as never, input);
  return new Map(new URLSearchParams(String(s.flush())));
}

const form = (body: string) => new Map(new URLSearchParams(body));

function throwsAws(fn: () => unknown, def: ErrorDef, message?: RegExp | string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AwsError, `expected an AwsError, got ${String(err)}`);
    assert.equal(err.def.code, def.code, `expected ${def.code}, got ${err.def.code}: ${err.message}`);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

const decode = (shape: StructShape, params: Map<string, string>) =>
  decodeQueryInput(shape, params, "query", Errors.Validation);

/**
 * A made-up input shape with what STS and IAM lack: a list and a map flattened on the structure
 * member (as SQS and SNS models have), a list with a named member, member xmlNames, a date-time and
 * an epoch-seconds timestamp, and a blob.
 */
const NameList = [1, "test", "NameList", 0, [0, { xmlName: "Name" }]];
const AttrMap = [2, "test", "AttrMap", 0, [0, { xmlName: "Name" }], [0, { xmlName: "Value" }]];
const PlainMap = [2, "test", "PlainMap", 0, 0, 1];
const Synthetic = [
  3,
  "test",
  "SyntheticInput",
  0,
  ["Ids", "Names", "Attrs", "Plain", "Renamed", "When", "Epoch", "Data", "Flag", "Count"],
  [
    [64 | 0, { xmlFlattened: 1, xmlName: "Id" }],
    [() => NameList, 0],
    [() => AttrMap, { xmlFlattened: 1, xmlName: "Attribute" }],
    [() => PlainMap, 0],
    [0, { xmlName: "OtherName" }],
    4,
    7,
    21,
    2,
    1,
  ],
];
const synthetic = shapeOf(Synthetic) as StructShape;

describe("decodeQueryInput", () => {
  it("decodes what the SDK sends for STS AssumeRole: scalars, nested structures, lists, numbers", () => {
    const input = {
      RoleArn: "arn:aws:iam::123456789012:role/deploy",
      RoleSessionName: "ci run #42",
      PolicyArns: [{ arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }, { arn: "arn:aws:iam::aws:policy/A&B" }],
      Policy: '{"Version":"2012-10-17","Statement":[]}',
      DurationSeconds: 3600,
      Tags: [
        { Key: "team", Value: "platform" },
        { Key: "cost center", Value: "=1+1" },
      ],
      TransitiveTagKeys: ["team", "cost center"],
      ExternalId: "ext",
      ProvidedContexts: [
        { ProviderArn: "arn:aws:iam::aws:contextProvider/IdentityCenter", ContextAssertion: "x" },
      ],
    };
    const params = sdkForm(stsSdk.AssumeRoleRequest$, input);
    assert.equal(params.get("Tags.member.2.Key"), "cost center");
    assert.deepEqual(decode(op(sts, "AssumeRole").input, params), input);
  });

  it("reads `Name=` as an empty list", () => {
    const params = sdkForm(stsSdk.AssumeRoleRequest$, {
      RoleArn: "arn:aws:iam::123456789012:role/r",
      RoleSessionName: "s",
      TransitiveTagKeys: [],
      Tags: [],
    });
    assert.equal(params.get("TransitiveTagKeys"), "");
    const out = decode(op(sts, "AssumeRole").input, params);
    assert.deepEqual(out.TransitiveTagKeys, []);
    assert.deepEqual(out.Tags, []);
  });

  it("decodes IAM maps (entry.N.key / entry.N.value), including maps of structures", () => {
    const props = { Properties: { "feature.a": "on", b: "" } };
    assert.deepEqual(
      decode(op(iam, "PutAccountProperties").input, sdkForm(iamSdk.PutAccountPropertiesRequest$, props)),
      props,
    );
    const params = form(
      "Properties.entry.1.key=feature.a&Properties.entry.1.value=on&Properties.entry.2.key=b&Properties.entry.2.value=",
    );
    assert.deepEqual(decode(op(iam, "PutAccountProperties").input, params), props);
    // A key named __proto__ is data like any other.
    const proto = decode(
      op(iam, "PutAccountProperties").input,
      form("Properties.entry.1.key=__proto__&Properties.entry.1.value=x"),
    ) as { Properties: Record<string, unknown> };
    assert.deepEqual(Object.entries(proto.Properties), [["__proto__", "x"]]);
    const acquire = {
      TemplateArn: "arn:aws:iam::aws:template/x",
      TemplateMinorVersion: 2,
      ReplacementValues: { region: { Values: ["us-east-1", "eu-west-1"] }, none: { Values: [] } },
    };
    assert.deepEqual(
      decode(op(iam, "AcquireRole").input, sdkForm(iamSdk.AcquireRoleRequest$, acquire)),
      acquire,
    );
  });

  it("decodes booleans and numbers", () => {
    const policy = {
      MinimumPasswordLength: 14,
      RequireSymbols: true,
      RequireNumbers: false,
      MaxPasswordAge: 90,
      HardExpiry: false,
    };
    assert.deepEqual(
      decode(
        op(iam, "UpdateAccountPasswordPolicy").input,
        sdkForm(iamSdk.UpdateAccountPasswordPolicyRequest$, policy),
      ),
      policy,
    );
  });

  it("decodes flattened lists and maps, named list members, member xmlNames, timestamps and blobs", () => {
    const input = {
      Ids: ["a", "b", "c"],
      Names: ["x", "y"],
      Attrs: { Colour: "blue", Size: "L" },
      Plain: { one: 1, two: 2 },
      Renamed: "r",
      When: new Date("2024-01-02T03:04:05.000Z"),
      Epoch: new Date(1700000000500),
      Data: Buffer.from("bytes\u0000\u00ff"),
      Flag: false,
      Count: 0,
    };
    const params = sdkForm(Synthetic, input);
    assert.deepEqual(
      [...params.keys()],
      [
        "Id.1",
        "Id.2",
        "Id.3",
        "Names.Name.1",
        "Names.Name.2",
        "Attribute.1.Name",
        "Attribute.1.Value",
        "Attribute.2.Name",
        "Attribute.2.Value",
        "Plain.entry.1.key",
        "Plain.entry.1.value",
        "Plain.entry.2.key",
        "Plain.entry.2.value",
        "OtherName",
        "When",
        "Epoch",
        "Data",
        "Flag",
        "Count",
      ],
    );
    assert.deepEqual(decode(synthetic, params), input);
  });

  it("accepts ISO-8601 timestamps with milliseconds or offsets, epoch seconds, and HTTP dates", () => {
    for (const [raw, iso] of [
      ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000Z"],
      ["2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05.123Z"],
      ["2024-01-02T05:04:05+02:00", "2024-01-02T03:04:05.000Z"],
      ["1704164645", "2024-01-02T03:04:05.000Z"],
      ["Tue, 02 Jan 2024 03:04:05 GMT", "2024-01-02T03:04:05.000Z"],
    ]) {
      const out = decode(synthetic, form(`When=${encodeURIComponent(raw!)}`));
      assert.equal((out.When as Date).toISOString(), iso, raw);
    }
  });

  describe("refuses bad scalar values with InvalidParameterValue", () => {
    const cases: [string, string][] = [
      ["a number that is not one", "Count=twelve"],
      ["an empty number", "Count="],
      ["a boolean that is not true or false", "Flag=True"],
      ["a boolean given as 1", "Flag=1"],
      ["a timestamp that is not one", "When=yesterday"],
      ["a timestamp Date.parse would guess at", "When=March%207"],
    ];
    for (const [what, body] of cases) {
      it(what, () => {
        throwsAws(() => decode(synthetic, form(body)), Errors.InvalidParameterValue, /is not a valid/);
      });
    }

    it("a number in a real STS request", () => {
      throwsAws(
        () => decode(op(sts, "AssumeRole").input, form("RoleArn=r&RoleSessionName=s&DurationSeconds=1h")),
        Errors.InvalidParameterValue,
        "Value '1h' for parameter DurationSeconds is not a valid number.",
      );
    });
  });

  describe("refuses missing required members with the service's validation error", () => {
    it("at the top level", () => {
      throwsAws(
        () => decode(op(sts, "AssumeRole").input, form("RoleArn=arn")),
        Errors.Validation,
        "The request must contain the parameter RoleSessionName",
      );
    });
    it("inside a list of structures", () => {
      throwsAws(
        () => decode(op(sts, "AssumeRole").input, form("RoleArn=a&RoleSessionName=s&Tags.member.1.Key=k")),
        Errors.Validation,
        "The request must contain the parameter Tags.member.1.Value",
      );
    });
    it("a map entry without its key", () => {
      throwsAws(
        () => decode(op(iam, "PutAccountProperties").input, form("Properties.entry.1.value=v")),
        Errors.Validation,
        /Properties\.entry\.1\.key/,
      );
    });
  });

  describe("refuses parameters the operation does not have", () => {
    const cases: [string, string][] = [
      ["an unknown top-level parameter", "RoleArn=a&RoleSessionName=s&Colour=blue"],
      [
        "an unknown member of a nested structure",
        "RoleArn=a&RoleSessionName=s&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.1.Colour=x",
      ],
      [
        "a list element after a gap",
        "RoleArn=a&RoleSessionName=s&TransitiveTagKeys.member.1=a&TransitiveTagKeys.member.3=c",
      ],
      ["a list given without .member", "RoleArn=a&RoleSessionName=s&TransitiveTagKeys.1=a"],
      ["a list given as a plain value", "RoleArn=a&RoleSessionName=s&TransitiveTagKeys=a"],
      ["a scalar given as a list", "RoleArn=a&RoleSessionName=s&ExternalId.member.1=x"],
      ["a member name in the wrong case", "RoleArn=a&RoleSessionName=s&externalId=x"],
    ];
    for (const [what, body] of cases) {
      it(what, () => {
        throwsAws(
          () => decode(op(sts, "AssumeRole").input, form(body)),
          Errors.Validation,
          /Unknown parameter/,
        );
      });
    }
  });

  it("ignores Action, Version and the presigned-URL X-Amz-* parameters", () => {
    const params = form(
      "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Security-Token=t",
    );
    assert.deepEqual(decode(op(sts, "GetCallerIdentity").input, params), {});
  });

  it("uses EC2 rules in the ec2 flavour: capitalised names and lists without .member", () => {
    const shape = shapeOf([3, "test", "Ec2Input", 0, ["instanceIds", "dryRun"], [64 | 0, 2]]) as StructShape;
    const out = decodeQueryInput(
      shape,
      form("InstanceIds.1=i-1&InstanceIds.2=i-2&DryRun=true"),
      "ec2",
      Errors.Validation,
    );
    assert.deepEqual(out, { instanceIds: ["i-1", "i-2"], dryRun: true });
  });
});

const xmlSettings = { ...settings, xmlNamespace: STS_NS, serviceNamespace: "com.amazonaws.sts" };
/** Read a rendered response the way the AWS SDK does. */
function sdkRead(outputSchema: unknown, operation: string, xml: string): Record<string, unknown> {
  const d = new XmlShapeDeserializer(xmlSettings);
  return d.read(outputSchema as never, Buffer.from(xml), `${operation}Result`) as Record<string, unknown>;
}

describe("renderQueryResponse", () => {
  it("wraps the output in <Op>Result and adds ResponseMetadata, in the service's namespace", () => {
    const xml = renderQueryResponse(
      "GetCallerIdentity",
      op(sts, "GetCallerIdentity").output,
      { Arn: "arn:aws:iam::000000000000:root", UserId: "000000000000", Account: "000000000000" },
      { xmlNamespace: STS_NS, requestId: REQUEST_ID, flavor: "query" },
    );
    assert.equal(
      xml,
      `<?xml version="1.0" encoding="UTF-8"?>\n<GetCallerIdentityResponse xmlns="${STS_NS}"><GetCallerIdentityResult><UserId>000000000000</UserId><Account>000000000000</Account><Arn>arn:aws:iam::000000000000:root</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  });

  it("renders only ResponseMetadata for an operation without output", () => {
    const xml = renderQueryResponse(
      "DeleteUser",
      op(iam, "DeleteUser").output,
      {},
      {
        xmlNamespace: IAM_NS,
        requestId: REQUEST_ID,
        flavor: "query",
      },
    );
    assert.equal(
      xml,
      `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteUserResponse xmlns="${IAM_NS}"><ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata></DeleteUserResponse>`,
    );
  });

  it("renders structures, timestamps and numbers the SDK reads back (STS AssumeRole)", () => {
    const output = {
      Credentials: {
        AccessKeyId: "ASIAEXAMPLE",
        SecretAccessKey: "secret/+=",
        SessionToken: "token",
        Expiration: new Date("2026-01-01T12:00:00.000Z"),
      },
      AssumedRoleUser: { AssumedRoleId: "AROA:s", Arn: "arn:aws:sts::1:assumed-role/r/s" },
      PackedPolicySize: 0,
    };
    const xml = renderQueryResponse("AssumeRole", op(sts, "AssumeRole").output, output, {
      xmlNamespace: STS_NS,
      requestId: REQUEST_ID,
      flavor: "query",
    });
    assert.match(xml, /<Expiration>2026-01-01T12:00:00.000Z<\/Expiration>/);
    assert.match(xml, /<PackedPolicySize>0<\/PackedPolicySize>/);
    assert.deepEqual(sdkRead(stsSdk.AssumeRoleResponse$, "AssumeRole", xml), output);
  });

  it("renders lists as <member> elements, booleans, and an empty list (IAM ListUsers)", () => {
    const users = [
      {
        Path: "/",
        UserName: "alice",
        UserId: "AIDA1",
        Arn: "arn:aws:iam::1:user/alice",
        CreateDate: new Date("2025-01-01T00:00:00.000Z"),
        Tags: [{ Key: "k", Value: "v" }],
      },
      {
        Path: "/ops/",
        UserName: "bob",
        UserId: "AIDA2",
        Arn: "arn:aws:iam::1:user/ops/bob",
        CreateDate: new Date(0),
      },
    ];
    const xml = renderQueryResponse(
      "ListUsers",
      op(iam, "ListUsers").output,
      { Users: users, IsTruncated: false },
      { xmlNamespace: IAM_NS, requestId: REQUEST_ID, flavor: "query" },
    );
    assert.match(xml, /<Users><member><Path>\/<\/Path><UserName>alice<\/UserName>/);
    assert.match(xml, /<IsTruncated>false<\/IsTruncated>/);
    assert.deepEqual(sdkRead(iamSdk.ListUsersResponse$, "ListUsers", xml), {
      Users: users,
      IsTruncated: false,
    });
    const empty = renderQueryResponse(
      "ListUsers",
      op(iam, "ListUsers").output,
      { Users: [], IsTruncated: false },
      { xmlNamespace: IAM_NS, requestId: REQUEST_ID, flavor: "query" },
    );
    assert.match(empty, /<Users(\/>|><\/Users>)/);
    assert.deepEqual(sdkRead(iamSdk.ListUsersResponse$, "ListUsers", empty), {
      Users: [],
      IsTruncated: false,
    });
  });

  it("renders maps as <entry><key/><value/></entry> (IAM GetAccountSummary)", () => {
    const summary = { SummaryMap: { Users: 2, Groups: 0 } };
    const xml = renderQueryResponse("GetAccountSummary", op(iam, "GetAccountSummary").output, summary, {
      xmlNamespace: IAM_NS,
      requestId: REQUEST_ID,
      flavor: "query",
    });
    assert.match(
      xml,
      /<SummaryMap><entry><key>Users<\/key><value>2<\/value><\/entry><entry><key>Groups<\/key><value>0<\/value><\/entry><\/SummaryMap>/,
    );
    assert.deepEqual(sdkRead(iamSdk.GetAccountSummaryResponse$, "GetAccountSummary", xml), summary);
  });

  it("renders blobs as base64 (IAM GetCredentialReport)", () => {
    const xml = renderQueryResponse(
      "GetCredentialReport",
      op(iam, "GetCredentialReport").output,
      { Content: Buffer.from("user,arn\n"), ReportFormat: "text/csv", GeneratedTime: new Date(0) },
      { xmlNamespace: IAM_NS, requestId: REQUEST_ID, flavor: "query" },
    );
    assert.match(xml, /<Content>dXNlcixhcm4K<\/Content>/);
    const back = sdkRead(iamSdk.GetCredentialReportResponse$, "GetCredentialReport", xml);
    assert.equal(Buffer.from(back.Content as Uint8Array).toString(), "user,arn\n");
  });

  it("renders members in model order, whatever order the handler used", () => {
    const xml = renderQueryResponse(
      "GetCallerIdentity",
      op(sts, "GetCallerIdentity").output,
      { Account: "1", Arn: "a", UserId: "u" },
      { xmlNamespace: STS_NS, requestId: REQUEST_ID, flavor: "query" },
    );
    assert.match(xml, /<UserId>u<\/UserId><Account>1<\/Account><Arn>a<\/Arn>/);
  });

  it("renders flattened lists and maps so that the SDK reads them back", () => {
    const Out = [
      3,
      "test",
      "FlatOutput",
      0,
      ["Ids", "Attrs", "Names"],
      [
        [64 | 0, { xmlFlattened: 1, xmlName: "Id" }],
        [() => AttrMap, { xmlFlattened: 1, xmlName: "Attribute" }],
        [() => NameList, 0],
      ],
    ];
    const value = { Ids: ["a", "b"], Attrs: { Colour: "blue" }, Names: ["x"] };
    const xml = renderQueryResponse("Flat", shapeOf(Out) as StructShape, value, {
      xmlNamespace: STS_NS,
      requestId: REQUEST_ID,
      flavor: "query",
    });
    assert.match(
      xml,
      /<Id>a<\/Id><Id>b<\/Id><Attribute><Name>Colour<\/Name><Value>blue<\/Value><\/Attribute>/,
    );
    assert.match(xml, /<Names><Name>x<\/Name><\/Names>/);
    assert.deepEqual(sdkRead(Out, "Flat", xml), value);
  });

  it("escapes <, >, &, quotes and apostrophes in text", () => {
    const nasty = `<Arn>&amp; "double" 'single' ]]> </x>`;
    const xml = renderQueryResponse(
      "GetCallerIdentity",
      op(sts, "GetCallerIdentity").output,
      { UserId: nasty, Account: "1", Arn: "a" },
      { xmlNamespace: STS_NS, requestId: REQUEST_ID, flavor: "query" },
    );
    assert.ok(!xml.includes(nasty));
    assert.match(
      xml,
      /<UserId>&lt;Arn&gt;&amp;amp; &quot;double&quot; &apos;single&apos; ]]&gt; &lt;\/x&gt;<\/UserId>/,
    );
    assert.equal(sdkRead(stsSdk.GetCallerIdentityResponse$, "GetCallerIdentity", xml).UserId, nasty);
  });

  it("puts EC2 members directly under the response with a lower-case requestId", () => {
    const shape = shapeOf([3, "test", "Ec2Output", 0, ["instanceIds", "return"], [64 | 0, 2]]) as StructShape;
    const xml = renderQueryResponse(
      "DescribeThings",
      shape,
      { instanceIds: ["i-1"], return: true },
      {
        xmlNamespace: "http://ec2.amazonaws.com/doc/2016-11-15/",
        requestId: REQUEST_ID,
        flavor: "ec2",
      },
    );
    assert.equal(
      xml,
      `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeThingsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${REQUEST_ID}</requestId><instanceIds><item>i-1</item></instanceIds><return>true</return></DescribeThingsResponse>`,
    );
  });
});

describe("renderQueryError", () => {
  it("renders <ErrorResponse> with Type, Code, Message and RequestId", () => {
    const xml = renderQueryError(
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match.",
      "Sender",
      {
        xmlNamespace: STS_NS,
        requestId: REQUEST_ID,
        flavor: "query",
      },
    );
    assert.equal(
      xml,
      `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match.</Message></Error><RequestId>${REQUEST_ID}</RequestId></ErrorResponse>`,
    );
  });

  it("omits the namespace when the service is not known yet", () => {
    const xml = renderQueryError("MissingAuthenticationToken", "Missing Authentication Token", "Sender", {
      requestId: REQUEST_ID,
      flavor: "query",
    });
    assert.match(
      xml,
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ErrorResponse><Error><Type>Sender<\/Type>/,
    );
  });

  it("escapes <, >, &, quotes and apostrophes in the message", () => {
    const message = `Value '<script>' at "name" & more > less`;
    const xml = renderQueryError("ValidationError", message, "Sender", {
      xmlNamespace: IAM_NS,
      requestId: REQUEST_ID,
      flavor: "query",
    });
    assert.match(
      xml,
      /<Message>Value &apos;&lt;script&gt;&apos; at &quot;name&quot; &amp; more &gt; less<\/Message>/,
    );
    const parsed = new XMLParser({ processEntities: true }).parse(xml) as {
      ErrorResponse: { Error: { Message: string; Code: string; Type: string } };
    };
    assert.equal(parsed.ErrorResponse.Error.Message, message);
  });

  it("renders Receiver faults", () => {
    assert.match(
      renderQueryError("InternalFailure", "boom", "Receiver", { requestId: REQUEST_ID, flavor: "query" }),
      /<Type>Receiver<\/Type><Code>InternalFailure<\/Code>/,
    );
  });

  it("renders EC2 errors as <Response><Errors><Error> with RequestID", () => {
    const xml = renderQueryError(
      "AuthFailure",
      "AWS was not able to validate the provided access credentials",
      "Sender",
      {
        requestId: REQUEST_ID,
        flavor: "ec2",
      },
    );
    assert.equal(
      xml,
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate the provided access credentials</Message></Error></Errors><RequestID>${REQUEST_ID}</RequestID></Response>`,
    );
  });
});
