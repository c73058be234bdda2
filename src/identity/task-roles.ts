/**
 * Task IAM roles: the credentials a task's role (taskRoleArn) or execution role (executionRoleArn)
 * gets, issued by the control plane on the agent's behalf. ECS assumes these roles as the service
 * principal ecs-tasks.amazonaws.com, so a role is usable only when its trust policy allows that.
 */
import { compilePolicy } from "../domain/iam/compile.js";
import { contextOf } from "../domain/iam/context.js";
import { evaluate } from "../domain/iam/evaluate.js";
import { parseRoleArn } from "../domain/iam/names.js";
import type { RoleRecord } from "../state/iam/records.js";
import { getRole } from "../state/iam/users.js";
import type { ReadTx, Store } from "../state/store.js";
import type { Sealer } from "./sealer.js";
import { type IssuedCredentials, issueRoleSession } from "./session-issuer.js";

export const ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com";
/** Task credentials last this long; agents refresh them well before. */
export const TASK_CREDENTIALS_SECONDS = 3600;

/** ECS's words when a role cannot be assumed for a task. */
export const cannotAssume = (arn: string) =>
  `ECS was unable to assume the role '${arn}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`;

export class TaskRoleError extends Error {
  override readonly name = "TaskRoleError";
}

/** The role, if it exists in this account and trusts ecs-tasks.amazonaws.com; else a TaskRoleError. */
export async function trustedTaskRole(tx: ReadTx, accountId: string, arn: string): Promise<RoleRecord> {
  const parsed = parseRoleArn(arn);
  const role = parsed && parsed.accountId === accountId ? (await getRole(tx, parsed.name))?.value : undefined;
  if (!role || role.arn !== arn) throw new TaskRoleError(cannotAssume(arn));
  const decision = evaluate({
    action: "sts:AssumeRole",
    resource: role.arn,
    context: contextOf({}),
    identity: [],
    resourcePolicy: {
      policy: compilePolicy(role.assumeRolePolicy, "trust"),
      principal: { accountId, service: ECS_TASKS_PRINCIPAL },
      required: true,
    },
  });
  if (!decision.allowed) throw new TaskRoleError(cannotAssume(arn));
  return role;
}

/**
 * Why a task of this definition (with these overrides) cannot get its roles, in ECS's words; or
 * undefined when every role it names exists and trusts ecs-tasks.amazonaws.com.
 */
export async function taskRoleProblem(
  tx: ReadTx,
  accountId: string,
  roles: { taskRoleArn?: string | undefined; executionRoleArn?: string | undefined },
): Promise<string | undefined> {
  for (const arn of [roles.taskRoleArn, roles.executionRoleArn]) {
    if (!arn) continue;
    try {
      await trustedTaskRole(tx, accountId, arn);
    } catch (err) {
      if (err instanceof TaskRoleError) return err.message;
      throw err;
    }
  }
  return undefined;
}

export interface TaskCredentialIssuer {
  /** Credentials for `roleArn`, as the task `taskId` uses them (the session name is the task id). */
  issue(accountId: string, roleArn: string, taskId: string, now: number): Promise<IssuedCredentials>;
}

export function taskCredentialIssuer(deps: { store: Store; sealer: Sealer }): TaskCredentialIssuer {
  return {
    async issue(accountId, roleArn, taskId, now) {
      const role = await deps.store.read((tx) => trustedTaskRole(tx, accountId, roleArn));
      return issueRoleSession(deps.sealer, {
        accountId,
        role: { arn: role.arn, name: role.name, id: role.id },
        sessionName: taskId,
        now,
        durationSeconds: Math.min(TASK_CREDENTIALS_SECONDS, role.maxSessionDuration),
      });
    },
  };
}
