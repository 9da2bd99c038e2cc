/**
 * The mapping's `registration:` section (issue 17): the CRM field a rep ticks to register a Won deal, where
 * the contract name and the solution come from, and the fields the review's progress is written to.
 */
import { z } from 'zod';

export const registrationSectionSchema = z.strictObject({
  /** The checkbox a rep ticks to register the deal once it is Won. */
  flag: z.string().min(1),
  /** The customer's name as on the contract; default: the deal's customer name. */
  contractName: z.string().min(1).optional(),
  /** The incentive-eligible solution's id; default: the deal's first solution. */
  solution: z.string().min(1).optional(),
  writeBack: z.strictObject({
    /** pending | actionRequired | passed | failed | approved */
    status: z.string().min(1),
    /** Microsoft's reason (what to fix, or why it failed). */
    reason: z.string().min(1).optional(),
    /** A checkbox set while Microsoft waits for the partner. */
    actionRequired: z.string().min(1).optional(),
    /** One readable line: `✔ registration approved`, `✖ not eligible: …`. */
    line: z.strictObject({ field: z.string().min(1), maxLength: z.number().int().min(40).default(255) }).optional(),
  }),
});

export type RegistrationSection = z.infer<typeof registrationSectionSchema>;
