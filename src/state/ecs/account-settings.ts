import type { ReadTx, WriteTx } from "../store.js";
import { K } from "./kinds.js";

export interface AccountSettingRecord {
  name: string;
  value: string;
  principalArn: string;
}

// '#' cannot appear in an IAM ARN, so it separates the principal from the setting name.
const principalPrefix = (region: string, principalArn: string) => `${region}/${principalArn}#`;
const settingKey = (region: string, principalArn: string, name: string) =>
  `${principalPrefix(region, principalArn)}${name}`;

export const getAccountSetting = (tx: ReadTx, region: string, principalArn: string, name: string) =>
  tx.get<AccountSettingRecord>(K.accountSetting, settingKey(region, principalArn, name));

export const putAccountSetting = (tx: WriteTx, region: string, rec: AccountSettingRecord) =>
  tx.put(K.accountSetting, settingKey(region, rec.principalArn, rec.name), rec);

export const deleteAccountSetting = (tx: WriteTx, region: string, principalArn: string, name: string) =>
  tx.delete(K.accountSetting, settingKey(region, principalArn, name));

export async function listPrincipalSettings(
  tx: ReadTx,
  region: string,
  principalArn: string,
): Promise<AccountSettingRecord[]> {
  return (
    await tx.scan<AccountSettingRecord>(K.accountSetting, { prefix: principalPrefix(region, principalArn) })
  ).map((r) => r.value);
}
