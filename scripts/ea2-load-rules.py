"""Load rule files with ElastAlert 2's own loader; one JSON line per file on stdout.

    python scripts/ea2-load-rules.py FILE...

Each file goes through RulesLoader.load_configuration with a minimal global configuration, so
the rule type and the alerters are instantiated as `elastalert` does at start-up. A file that is a
global configuration (rules_folder, no name) is read with load_conf, as `elastalert --config` does.

Modules that are not installed (community plugins such as elastalert_modules.*) are replaced by
stand-ins that accept any options: such files are reported with "plugin" naming the modules, i.e.
"loads if the module were installed". A new_term rule that cannot reach Elasticsearch while it
reads its existing terms at load time is reported as loading, with "env" saying so.
"""
import argparse
import datetime
import json
import os
import sys
import types

import yaml
from elastalert import alerts, enhancements, ruletypes
import elastalert.config as config
import elastalert.loaders as loaders
from elastalert.util import EAException

stand_ins = []


class StandIn(alerts.Alerter, enhancements.BaseEnhancement, ruletypes.RuleType):
    """Whatever a missing module was meant to provide: an alerter, an enhancement or a rule type."""

    required_options = frozenset()

    def __init__(self, *args, **kwargs):
        self.rule = args[0] if args else {}
        self.rules = self.rule

    def alert(self, matches):
        pass

    def get_info(self):
        return {'type': 'stand-in'}

    def process(self, match):
        pass

    def add_data(self, data):
        pass


def stand_in_module(name):
    mod = types.ModuleType(name)

    def attribute(attr):
        if attr.startswith('__'):
            raise AttributeError(attr)
        cls = type(attr, (StandIn,), {})
        setattr(mod, attr, cls)
        return cls

    mod.__getattr__ = attribute
    return mod


real_get_module = loaders.get_module


def get_module(module_name):
    try:
        found = real_get_module(module_name)
        if isinstance(found, type) and issubclass(found, StandIn):
            stand_ins.append(module_name)
        return found
    except EAException:
        base, _, attr = module_name.rpartition('.')
        if not base:
            raise
        stand_ins.append(module_name)
        mod = stand_in_module(base)
        sys.modules[base] = mod
        return getattr(mod, attr)


loaders.get_module = get_module


def global_conf(folder):
    return {
        'es_host': 'localhost', 'es_port': 9200, 'rules_folder': folder,
        'writeback_index': 'elastalert_status', 'max_query_size': 10000,
        'scroll_keepalive': '30s', 'max_scrolling_count': 0, 'disable_rules_on_error': True,
        'run_every': datetime.timedelta(minutes=1), 'buffer_time': datetime.timedelta(minutes=15),
        'alert_time_limit': datetime.timedelta(days=2), 'old_query_limit': datetime.timedelta(weeks=1),
    }


def check(path):
    result = {'file': path, 'kind': 'rule'}
    try:
        with open(path, encoding='utf-8') as fh:
            data = yaml.safe_load(fh)
        if isinstance(data, dict) and 'rules_folder' in data and 'name' not in data:
            result['kind'] = 'config'
            args = argparse.Namespace(config=path, debug=False, verbose=False, es_debug=False,
                                      es_debug_trace=None, rule=None)
            config.load_conf(args)
            result['loaded'] = True
        else:
            conf = global_conf(os.path.dirname(path) or '.')
            loaders.FileRulesLoader(conf).load_configuration(path, conf)
            result['loaded'] = True
    except Exception as e:  # every refusal is reported, whatever raised it
        message = str(e)
        result['loaded'] = 'Error searching for existing terms' in message and 'ConnectionError' in message
        if result['loaded']:
            result['env'] = 'new_term reads existing terms from Elasticsearch at load time'
        result['reason'] = (type(e).__name__ + ': ' + message)[:500]
    return result


def main(paths):
    # what the loader or a configuration's logging prints goes to stderr; stdout carries the results
    out, sys.stdout = sys.stdout, sys.stderr
    for path in paths:
        del stand_ins[:]
        result = check(path)
        result['plugin'] = sorted(set(stand_ins))
        print(json.dumps(result, ensure_ascii=False), file=out, flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
