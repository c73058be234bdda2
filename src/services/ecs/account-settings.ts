import type {
  DeleteAccountSettingRequest,
  DeleteAccountSettingResponse,
  ListAccountSettingsRequest,
  ListAccountSettingsResponse,
  PutAccountSettingDefaultRequest,
  PutAccountSettingDefaultResponse,
  PutAccountSettingRequest,
  PutAccountSettingResponse,
  Setting,
} from "@aws-sdk/client-ecs";
import {
  SETTING_NAMES,
  settingRule,
  settingType,
  validateSettingValue,
} from "../../domain/ecs/account-settings.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { rootArn } from "../../identity/principal.js";
import {
  type AccountSettingRecord,
  deleteAccountSetting,
  getAccountSetting,
  listPrincipalSettings,
  putAccountSetting,
} from "../../state/ecs/account-settings.js";
import type { ReadTx, Store } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { cut, pageOf } from "./paging.js";

const PRINCIPAL = /^arn:aws:(iam|sts)::\d{12}:(root|user\/.+|role\/.+|assumed-role\/.+)$/;

const toSetting = (r: AccountSettingRecord): Setting => ({
  name: r.name as Setting["name"],
  value: r.value,
  principalArn: r.principalArn,
  type: settingType(r.name),
});

/** The principal a request acts for: its own, unless root names another. */
function targetPrincipal(ctx: RequestContext, principalArn: string | undefined): string {
  if (principalArn === undefined || principalArn === ctx.principal.arn) return ctx.principal.arn;
  if (!PRINCIPAL.test(principalArn))
    throw new AwsError(Errors.InvalidParameter, `Invalid principalArn: ${principalArn}`);
  if (ctx.principal.kind !== "root") {
    throw new AwsError(Errors.AccessDenied, `${ctx.principal.arn} may only change its own account settings.`);
  }
  return principalArn;
}

/** A setting's value for a principal: its own, else the account default, else AWS's default. */
export async function effectiveAccountSetting(
  tx: ReadTx,
  region: string,
  accountId: string,
  principal: string,
  name: string,
): Promise<AccountSettingRecord> {
  const own = await getAccountSetting(tx, region, principal, name);
  if (own) return own.value;
  const root = rootArn(accountId);
  const dflt = await getAccountSetting(tx, region, root, name);
  return dflt?.value ?? { name, value: settingRule(name).awsDefault, principalArn: root };
}

export function accountSettingHandlers(store: Store) {
  const put: Handler<PutAccountSettingRequest, PutAccountSettingResponse> = (input, ctx) => {
    const principalArn = targetPrincipal(ctx, input.principalArn);
    validateSettingValue(input.name!, input.value!, ctx.principal.kind === "root");
    const rec: AccountSettingRecord = { name: input.name!, value: input.value!, principalArn };
    return store.write(async (tx) => {
      await putAccountSetting(tx, ctx.region, rec);
      return { setting: toSetting(rec) };
    });
  };

  const putDefault: Handler<PutAccountSettingDefaultRequest, PutAccountSettingDefaultResponse> = (
    input,
    ctx,
  ) => {
    if (ctx.principal.kind !== "root") {
      throw new AwsError(
        Errors.AccessDenied,
        `${ctx.principal.arn} is not authorized to change account setting defaults.`,
      );
    }
    validateSettingValue(input.name!, input.value!, true);
    const rec: AccountSettingRecord = {
      name: input.name!,
      value: input.value!,
      principalArn: rootArn(ctx.accountId),
    };
    return store.write(async (tx) => {
      await putAccountSetting(tx, ctx.region, rec);
      return { setting: toSetting(rec) };
    });
  };

  const del: Handler<DeleteAccountSettingRequest, DeleteAccountSettingResponse> = (input, ctx) => {
    const principalArn = targetPrincipal(ctx, input.principalArn);
    settingRule(input.name!);
    return store.write(async (tx) => {
      const existing = await getAccountSetting(tx, ctx.region, principalArn, input.name!);
      if (!existing) {
        throw new AwsError(
          Errors.InvalidParameter,
          `The account setting ${input.name} is not set for ${principalArn}.`,
        );
      }
      await deleteAccountSetting(tx, ctx.region, principalArn, input.name!);
      return { setting: toSetting(existing.value) };
    });
  };

  const list: Handler<ListAccountSettingsRequest, ListAccountSettingsResponse> = (input, ctx) => {
    const page = pageOf("ListAccountSettings", input, 10);
    if (input.value !== undefined && input.name === undefined) {
      throw new AwsError(
        Errors.InvalidParameter,
        "The name parameter must be specified when filtering by value.",
      );
    }
    if (input.name !== undefined) settingRule(input.name);
    const principal = targetPrincipal(ctx, input.principalArn);
    return store.read(async (tx) => {
      let settings: AccountSettingRecord[];
      if (input.effectiveSettings) {
        settings = [];
        for (const name of SETTING_NAMES)
          settings.push(await effectiveAccountSetting(tx, ctx.region, ctx.accountId, principal, name));
      } else {
        settings = await listPrincipalSettings(tx, ctx.region, principal);
      }
      const filtered = settings
        .filter(
          (s) =>
            (input.name === undefined || s.name === input.name) &&
            (input.value === undefined || s.value === input.value),
        )
        .sort((a, b) => a.name.localeCompare(b.name))
        .filter((s) => page.after === undefined || s.name > page.after);
      const { items, nextToken } = cut("ListAccountSettings", filtered, page.limit, (s) => s.name);
      return { settings: items.map(toSetting), ...(nextToken ? { nextToken } : {}) };
    });
  };

  return {
    PutAccountSetting: put,
    PutAccountSettingDefault: putDefault,
    DeleteAccountSetting: del,
    ListAccountSettings: list,
  };
}
