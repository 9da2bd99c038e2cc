/** What both connectors share: linking the activities created with a record. */
export { linkRelated } from './related.js';
export { answerRow, parseAnswer, textOf } from './answer.js';
