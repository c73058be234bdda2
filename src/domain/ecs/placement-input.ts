/** Validating placementConstraints and placementStrategy from RunTask and services into engine form. */
import type { PlacementConstraint, PlacementStrategy } from "@aws-sdk/client-ecs";
import { AwsError, Errors } from "../../errors/catalog.js";
import type { Constraint, Strategy } from "./placement-engine.js";
import { compileQuery } from "./query-language.js";

const invalid = (m: string) => new AwsError(Errors.InvalidParameter, m);

export const MAX_CONSTRAINTS = 10;
export const MAX_STRATEGIES = 5;

export function parseConstraints(
  input: readonly PlacementConstraint[] | undefined,
  alsoFromTaskDefinition = 0,
): Constraint[] {
  const list = input ?? [];
  if (list.length + alsoFromTaskDefinition > MAX_CONSTRAINTS) {
    throw invalid(
      `The number of placement constraints exceeds the limit of ${MAX_CONSTRAINTS}, including those of the task definition.`,
    );
  }
  return list.map((c) => {
    if (c.type === "distinctInstance") {
      if (c.expression !== undefined)
        throw invalid("The distinctInstance placement constraint does not take an expression.");
      return { type: "distinctInstance" };
    }
    if (c.type === "memberOf") {
      if (!c.expression) throw invalid("The memberOf placement constraint requires an expression.");
      return { type: "memberOf", query: compileQuery(c.expression) };
    }
    throw invalid(`placementConstraints.type should be one of [distinctInstance,memberOf]`);
  });
}

export function parseStrategies(input: readonly PlacementStrategy[] | undefined): Strategy[] | undefined {
  if (input === undefined || input.length === 0) return undefined;
  if (input.length > MAX_STRATEGIES)
    throw invalid(`The number of placement strategies exceeds the limit of ${MAX_STRATEGIES}.`);
  return input.map((s) => {
    switch (s.type) {
      case "random":
        if (s.field !== undefined) throw invalid("The random placement strategy does not take a field.");
        return { type: "random" };
      case "binpack": {
        const field = (s.field ?? "").toLowerCase();
        if (field !== "cpu" && field !== "memory")
          throw invalid("The binpack placement strategy field must be cpu or memory.");
        return { type: "binpack", field };
      }
      case "spread": {
        const field = s.field ?? "";
        if (
          !(field === "instanceId" || field === "host" || /^attribute:[A-Za-z0-9_.\-/:]{1,128}$/.test(field))
        ) {
          throw invalid("The spread placement strategy field must be instanceId, host or attribute:<name>.");
        }
        return { type: "spread", field };
      }
      default:
        throw invalid("placementStrategy.type should be one of [random,spread,binpack]");
    }
  });
}
