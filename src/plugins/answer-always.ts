import { processRegularResult, type Plugin } from 'graphql-yoga';

/**
 * Yoga runs an operation first and only then picks a response format from `Accept`; when none
 * fits (`application/graphql+json` of an old draft, `text/html`, JSON in UTF-16) it answers 406 with
 * no body. For a mutation that made a key, that was the key's secret thrown away. An operation that
 * ran is always answered: in JSON when the client accepts nothing yoga writes, which GraphQL over
 * HTTP allows (a server may disregard `Accept`). Last in the plugin list, after yoga's own choice.
 */
export function useAnswerAlways(): Plugin {
  return {
    onResultProcess({ resultProcessor, setResultProcessor }) {
      if (!resultProcessor) setResultProcessor(processRegularResult, 'application/json');
    },
  };
}
