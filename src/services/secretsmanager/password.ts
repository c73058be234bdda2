/** GetRandomPassword: a password from the character classes asked for, drawn with crypto.randomInt. */
import { randomInt } from "node:crypto";
import type { GetRandomPasswordRequest, GetRandomPasswordResponse } from "@aws-sdk/client-secrets-manager";
import { Constraints } from "../../domain/constraints.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import type { Handler } from "../service.js";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/** Pure: build the password from the options and a source of random integers. */
export function randomPassword(
  input: GetRandomPasswordRequest,
  rand: (n: number) => number = randomInt,
): string {
  const length = input.PasswordLength ?? 32;
  const exclude = new Set([...(input.ExcludeCharacters ?? "")]);
  const classes: string[] = [];
  const add = (on: boolean, chars: string) => {
    if (!on) return;
    const kept = [...chars].filter((ch) => !exclude.has(ch)).join("");
    if (kept) classes.push(kept);
  };
  add(!input.ExcludeLowercase, LOWER);
  add(!input.ExcludeUppercase, UPPER);
  add(!input.ExcludeNumbers, DIGITS);
  add(!input.ExcludePunctuation, PUNCTUATION);
  add(input.IncludeSpace === true, " ");
  if (classes.length === 0) {
    throw new AwsError(
      Errors.InvalidParameter,
      "The password can't be generated: every character type is excluded.",
    );
  }
  const requireEach = input.RequireEachIncludedType ?? true;
  if (requireEach && length < classes.length) {
    throw new AwsError(Errors.InvalidParameter, "Password length is too short based on the required types.");
  }
  const pool = classes.join("");
  const chars: string[] = [];
  if (requireEach) for (const cls of classes) chars.push(cls[rand(cls.length)]!);
  while (chars.length < length) chars.push(pool[rand(pool.length)]!);
  // Shuffle so the required characters are not always first (Fisher-Yates).
  for (let i = chars.length - 1; i > 0; i--) {
    const j = rand(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}

export const getRandomPassword: Handler<GetRandomPasswordRequest, GetRandomPasswordResponse> = (input) => {
  const c = new Constraints();
  c.range("passwordLength", input.PasswordLength, 1, 4096);
  c.length("excludeCharacters", input.ExcludeCharacters, 0, 4096);
  c.throwIfAny();
  return { RandomPassword: randomPassword(input) };
};
