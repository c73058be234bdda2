/** Amazon CloudWatch Logs (awsJson1_1, target prefix Logs_20140328). */
import * as sdk from "@aws-sdk/client-cloudwatch-logs";
import { Errors } from "../../errors/catalog.js";
import { ServiceModel } from "../../protocol/model.js";
import type { Store } from "../../state/store.js";
import type { ServiceDefinition } from "../service.js";
import { logsAuthorization } from "./authz.js";
import { eventHandlers } from "./events.js";
import { filterHandlers } from "./filter.js";
import { groupHandlers } from "./groups.js";
import { streamHandlers } from "./streams.js";
import { tagHandlers } from "./tags.js";

let model: ServiceModel | undefined;
export const logsModel = () => (model ??= new ServiceModel(sdk));

export function logsService(deps: { store: Store }): ServiceDefinition {
  const { store } = deps;
  return {
    id: "logs",
    title: "Amazon CloudWatch Logs",
    signingName: "logs",
    protocol: "awsJson1_1",
    targetPrefix: "Logs_20140328",
    model: logsModel(),
    validationError: Errors.InvalidParameter,
    missingMessage: (member, path) =>
      `1 validation error detected: Value null at '${path ? `${path}.` : ""}${member}' failed to satisfy constraint: Member must not be null`,
    handlers: {
      ...groupHandlers(store),
      ...streamHandlers(store),
      ...eventHandlers(store),
      ...filterHandlers(store),
      ...tagHandlers(store),
    },
    authorization: logsAuthorization(store),
    notes: {
      CreateLogGroup:
        "STANDARD and INFREQUENT_ACCESS classes; kmsKeyId (Berth has no KMS keys), the DELIVERY class and deletion protection are refused with InvalidParameterException",
      DeleteLogGroup: "events are deleted in the background (next retention sweep)",
      DescribeLogGroups:
        "includeLinkedAccounts/accountIdentifiers: no cross-account observability, so only the caller's groups",
      DescribeLogStreams:
        "storedBytes is always 0 for streams, as on AWS; lastEventTimestamp is exact at once",
      PutLogEvents:
        "10,000 events and 1,048,576 bytes (UTF-8 + 26 per event) per batch, chronological, ≤ 24 h span; events > 14 days old, > 2 h ahead or past retention go to rejectedLogEventsInfo; sequence tokens ignored (as on AWS since 2023); entity is not stored",
      GetLogEvents:
        "f/ and b/ tokens; startTime inclusive, endTime exclusive; ≤ 10,000 events and 1 MB per page",
      FilterLogEvents:
        'filter patterns: terms (case-sensitive substrings), quoted phrases, -exclusions, ?alternatives, and JSON patterns ({ $.a.b[0] = "x*" }, != < <= > >=, IS NULL/TRUE/FALSE, NOT EXISTS, && \\|\\| and parentheses); space-delimited [..] and regex %..% patterns are refused; events merge across streams by timestamp; at most 25,000 events examined per call (then a nextToken)',
      PutRetentionPolicy:
        "enforced: a background sweep (every minute) deletes events older than the retention",
      TagResource: "log groups only (Berth has no destinations); at most 50 tags",
      TagLogGroup: "deprecated by AWS; same store as TagResource",
    },
  };
}
