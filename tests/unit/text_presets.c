#include "config.h"
#include "textlib.h"
int main(void) { return done_testing(); }
