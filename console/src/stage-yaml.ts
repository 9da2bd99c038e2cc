/** The stage table's edits written into the mapping's YAML through the document API, so comments and layout survive. */
import { isMap, isScalar, parseDocument } from 'yaml';

/** CRM stage value → target ('' = not in the map). */
export type Choices = Record<string, string>;

/**
 * The mapping text with `stages.map` set to these choices (empty choice: the entry is removed). A key is matched
 * by its text, so Dataverse's numeric option keys (`0: Qualify`) are changed in place, not added again as "0".
 */
export function withStageChoices(text: string, choices: Choices): string {
  const doc = parseDocument(text);
  if (!doc.hasIn(['stages', 'map'])) doc.setIn(['stages', 'map'], doc.createNode({}));
  const map = doc.getIn(['stages', 'map'], true);
  if (!isMap(map)) throw new Error('stages.map in the YAML is not a mapping; fix it in the YAML view.');
  for (const [value, target] of Object.entries(choices)) {
    const pair = map.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === value);
    if (!target) {
      if (pair) map.items.splice(map.items.indexOf(pair), 1);
    } else if (pair && isScalar(pair.value))
      pair.value.value = target; // in place: its comment stays
    else if (pair) pair.value = doc.createNode(target);
    else map.set(value, target);
  }
  // lineWidth 0: never fold an admin's long lines (a template string) that this edit did not touch.
  return doc.toString({ lineWidth: 0 });
}
