import type { GetCallerIdentityResponse } from "@aws-sdk/client-sts";
import * as sdk from "@aws-sdk/client-sts";
import { Errors } from "../../errors/catalog.js";
import { ServiceModel } from "../../protocol/model.js";
import type { Handler, ServiceDefinition } from "../service.js";

const getCallerIdentity: Handler<unknown, GetCallerIdentityResponse> = (_input, ctx) => ({
  UserId: ctx.principal.userId,
  Account: ctx.principal.accountId,
  Arn: ctx.principal.arn,
});

/** AWS Security Token Service (awsQuery). */
export function stsService(): ServiceDefinition {
  return {
    id: "sts",
    title: "AWS STS",
    signingName: "sts",
    protocol: "awsQuery",
    xmlNamespace: "https://sts.amazonaws.com/doc/2011-06-15/",
    model: new ServiceModel(sdk),
    validationError: Errors.Validation,
    handlers: { GetCallerIdentity: getCallerIdentity },
  };
}
