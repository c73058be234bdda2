/**
 * ECS account settings: the names, the values each accepts, and AWS's defaults. Settings resolve
 * per principal: the principal's own value, else the account default (set with
 * PutAccountSettingDefault, held as the root principal's), else AWS's default.
 */
import { SettingName } from "@aws-sdk/client-ecs";
import { AwsError, Errors } from "../../errors/catalog.js";

interface SettingRule {
  values: readonly string[];
  awsDefault: string;
  /** Settings AWS manages; callers cannot change them. */
  managed?: boolean;
  /** Only the root principal may set it. */
  rootOnly?: boolean;
  /** Values that may no longer be chosen, with the error ECS gives. */
  refused?: Readonly<Record<string, string>>;
}

const ENABLED_DISABLED = ["enabled", "disabled"] as const;
const LONG_ARN: SettingRule = {
  values: ENABLED_DISABLED,
  awsDefault: "enabled",
  refused: { disabled: "You can no longer disable Long Arn settings" },
};

/** Every setting name ECS accepts: the SDK's enum plus dualStackIPv6, which ECS accepts but the model omits. */
export const SETTINGS: Readonly<Record<string, SettingRule>> = {
  [SettingName.SERVICE_LONG_ARN_FORMAT]: LONG_ARN,
  [SettingName.TASK_LONG_ARN_FORMAT]: LONG_ARN,
  [SettingName.CONTAINER_INSTANCE_LONG_ARN_FORMAT]: LONG_ARN,
  [SettingName.AWSVPC_TRUNKING]: { values: ENABLED_DISABLED, awsDefault: "disabled" },
  [SettingName.CONTAINER_INSIGHTS]: { values: ["enhanced", "enabled", "disabled"], awsDefault: "disabled" },
  dualStackIPv6: { values: ENABLED_DISABLED, awsDefault: "disabled" },
  [SettingName.FARGATE_FIPS_MODE]: { values: ENABLED_DISABLED, awsDefault: "disabled" },
  [SettingName.TAG_RESOURCE_AUTHORIZATION]: { values: ["on", "off"], awsDefault: "on" },
  [SettingName.FARGATE_TASK_RETIREMENT_WAIT_PERIOD]: {
    values: ["0", "7", "14"],
    awsDefault: "7",
    rootOnly: true,
  },
  [SettingName.GUARD_DUTY_ACTIVATE]: { values: ["on", "off"], awsDefault: "off", managed: true },
  [SettingName.DEFAULT_LOG_DRIVER_MODE]: { values: ["blocking", "non-blocking"], awsDefault: "non-blocking" },
  [SettingName.FARGATE_EVENT_WINDOWS]: { values: ENABLED_DISABLED, awsDefault: "disabled" },
};

export const SETTING_NAMES = Object.keys(SETTINGS);

/** The setting's rule; only SETTINGS' own names are settings (never `constructor` or `__proto__`). */
const ruleOf = (name: string): SettingRule | undefined =>
  Object.hasOwn(SETTINGS, name) ? SETTINGS[name] : undefined;

export function settingRule(name: string): SettingRule {
  const rule = ruleOf(name);
  if (!rule)
    throw new AwsError(Errors.InvalidParameter, `${name} should be one of [${SETTING_NAMES.join(",")}]`);
  return rule;
}

/** Check a value a caller wants to store. */
export function validateSettingValue(name: string, value: string, callerIsRoot: boolean): void {
  const rule = settingRule(name);
  if (rule.managed)
    throw new AwsError(
      Errors.InvalidParameter,
      `The ${name} account setting is managed by AWS and cannot be changed.`,
    );
  if (!rule.values.includes(value)) throw new AwsError(Errors.InvalidParameter, "Invalid setting 'value'");
  const refusal = rule.refused && Object.hasOwn(rule.refused, value) ? rule.refused[value] : undefined;
  if (refusal) throw new AwsError(Errors.InvalidParameter, refusal);
  if (rule.rootOnly && !callerIsRoot) {
    throw new AwsError(
      Errors.InvalidParameter,
      `The ${name} account setting can only be changed by the root user.`,
    );
  }
}

export const settingType = (name: string): "user" | "aws_managed" =>
  ruleOf(name)?.managed ? "aws_managed" : "user";
